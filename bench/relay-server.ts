/**
 * The warm floor's server: for each request, one IPC round trip to a child process (the
 * body sent over child_process.fork's channel, the child sends it back), then a 200 with
 * `{}`. So a request to it costs one loopback keep-alive HTTP round trip between two Node
 * processes plus one parent/child IPC round trip: the least an invoke can cost when the
 * gateway hands the event to a sandbox process and waits for the answer.
 *
 * `--children N` (default 1) forks N children and gives each at most one request at a
 * time, as Lambda gives an execution environment one invocation at a time; requests beyond
 * N wait for a free child. Under load it is the throughput floor of any gateway with
 * Lambda's semantics: one that does nothing but relay.
 *
 * POST /ipc-rtt?n=N&warmup=W instead times N sequential IPC round trips alone (after W
 * unmeasured) to the first child and answers their milliseconds as a JSON array.
 *
 * Prints {"endpoint","pid"} once listening and every child is up; exits on SIGTERM or when
 * stdin closes, taking the children with it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';

const BODY = Buffer.from('{}');

interface Message {
  readonly id: number;
  readonly body: string;
}

const { values } = parseArgs({ options: { children: { type: 'string', default: '1' } } });
const childCount = Number(values.children);
if (!Number.isInteger(childCount) || childCount < 1) throw new Error(`--children: a positive integer, not ${values.children}`);

const waiting = new Map<number, () => void>();
let nextId = 0;
const free: ChildProcess[] = [];
const queued: Array<(child: ChildProcess) => void> = [];

function startChild(): Promise<ChildProcess> {
  const child = fork(path.join(import.meta.dirname, 'relay-child.ts'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.on('message', (m: Message) => {
    const done = waiting.get(m.id);
    waiting.delete(m.id);
    done?.();
  });
  child.once('exit', () => process.exit(1));
  return new Promise((resolve) => child.once('message', () => resolve(child)));
}

function ipcRoundTrip(child: ChildProcess, body: string): Promise<void> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.send({ id, body } satisfies Message);
  });
}

/** One round trip on a free child, waiting for one if all are busy. */
async function relay(body: string): Promise<void> {
  const child = free.pop() ?? (await new Promise<ChildProcess>((resolve) => queued.push(resolve)));
  try {
    await ipcRoundTrip(child, body);
  } finally {
    const next = queued.shift();
    if (next) next(child);
    else free.push(child);
  }
}

async function ipcSamples(n: number, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  const child = children[0]!;
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    await ipcRoundTrip(child, '{}');
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  return samples;
}

const server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://relay');
    if (url.pathname === '/ipc-rtt') {
      void ipcSamples(Number(url.searchParams.get('n') ?? 1000), Number(url.searchParams.get('warmup') ?? 0)).then((samples) => {
        const json = Buffer.from(JSON.stringify(samples));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length });
        res.end(json);
      });
      return;
    }
    void relay(Buffer.concat(chunks).toString('utf8')).then(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
});

const children = await Promise.all(Array.from({ length: childCount }, startChild));
free.push(...children);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
});

const stop = () => {
  for (const child of children) {
    child.removeAllListeners('exit');
    child.kill('SIGTERM');
  }
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.once('end', stop);
process.stdin.resume();
