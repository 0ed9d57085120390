/** Nimbus's Prometheus endpoint (GET /metrics, unsigned, as a scraper sends it). */
import { keepAliveAgent, request } from './http-client.ts';

const agent = keepAliveAgent();

/** The exposition text. */
export async function scrape(endpoint: string): Promise<string> {
  const res = await request(agent, `${endpoint}/metrics`, 'GET');
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
  return res.body.toString('utf8');
}

/** Sum of a metric's samples whose labels include every given label (e.g. function_name). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labelText = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    if (!want.every((w) => labelText.split(',').includes(w))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Closes the scraper's connection. */
export function closeScraper(): void {
  agent.destroy();
}
