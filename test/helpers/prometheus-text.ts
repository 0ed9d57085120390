/**
 * A parser of the Prometheus text exposition format 0.0.4, for tests: every sample line as
 * { name, labels, value }, and each family's TYPE and HELP.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp?: number;
}

export interface Exposition {
  readonly samples: Sample[];
  readonly types: Map<string, string>;
  readonly help: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${raw}`);
    };
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
      if (!m) return; // a plain comment
      if (m[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3] ?? '')) fail('unknown TYPE');
        if (types.has(m[2]!)) fail('second TYPE for a family');
        types.set(m[2]!, m[3]!);
      } else {
        help.set(m[2]!, unescape(m[3] ?? '', false));
      }
      return;
    }
    let rest = line;
    const name = NAME.exec(rest)?.[0] ?? fail('no metric name');
    rest = rest.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1).trimStart();
      while (!rest.startsWith('}')) {
        const label = LABEL_NAME.exec(rest)?.[0] ?? fail('bad label name');
        rest = rest.slice(label.length).trimStart();
        if (!rest.startsWith('="')) fail('expected ="');
        rest = rest.slice(2);
        let value = '';
        for (;;) {
          if (rest === '') fail('unterminated label value');
          const c = rest[0]!;
          if (c === '"') break;
          if (c === '\\') {
            value += rest.slice(0, 2);
            rest = rest.slice(2);
          } else {
            value += c;
            rest = rest.slice(1);
          }
        }
        rest = rest.slice(1).trimStart();
        if (label in labels) fail(`label ${label} twice`);
        labels[label] = unescape(value, true);
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith('}')) fail('expected , or }');
      }
      rest = rest.slice(1);
    }
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') fail('expected a value and an optional timestamp');
    const value = parseValue(parts[0]!) ?? fail('bad value');
    const timestamp = parts[1] !== undefined ? Number(parts[1]) : undefined;
    if (timestamp !== undefined && !Number.isInteger(timestamp)) fail('bad timestamp');
    samples.push({ name, labels, value, ...(timestamp !== undefined ? { timestamp } : {}) });
  });
  return { samples, types, help };
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Label values escape \\, \" and \n; HELP text escapes \\ and \n. */
function unescape(text: string, quotes: boolean): string {
  return text.replace(/\\(.)/g, (all, c: string) => (c === 'n' ? '\n' : c === '\\' ? '\\' : c === '"' && quotes ? '"' : all));
}

/** The value of the one sample with this name whose labels include `labels`; 0 when none (a counter never incremented). */
export function sampleValue(exposition: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

/** Sum of every sample with this name whose labels include `labels` (a PromQL sum()). */
export function sumOf(exposition: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
