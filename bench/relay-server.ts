/**
 * The warm floor's server: for each request, one IPC round trip to its own child process
 * (the body sent over child_process.fork's channel, the child sends it back), then a 200
 * with `{}`. So a request to it costs one loopback keep-alive HTTP round trip between two
 * Node processes plus one parent/child IPC round trip: the least an invoke can cost when
 * the gateway hands the event to a sandbox process and waits for the answer.
 *
 * POST /ipc-rtt?n=N&warmup=W instead times N sequential IPC round trips alone (after W
 * unmeasured) inside this process and answers their milliseconds as a JSON array.
 *
 * Prints {"endpoint","pid"} once listening and the child is up; exits on SIGTERM or when
 * stdin closes, taking the child with it.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const BODY = Buffer.from('{}');

interface Message {
  readonly id: number;
  readonly body: string;
}

const child = fork(path.join(import.meta.dirname, 'relay-child.ts'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const waiting = new Map<number, () => void>();
let nextId = 0;
child.on('message', (m: Message) => {
  const done = waiting.get(m.id);
  waiting.delete(m.id);
  done?.();
});
child.once('exit', () => process.exit(1));

function ipcRoundTrip(body: string): Promise<void> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    child.send({ id, body } satisfies Message);
  });
}

async function ipcSamples(n: number, warmup: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + n; i++) {
    const t0 = performance.now();
    await ipcRoundTrip('{}');
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
    void ipcRoundTrip(Buffer.concat(chunks).toString('utf8')).then(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
});

child.once('message', () => {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
  });
});

const stop = () => {
  child.removeAllListeners('exit');
  child.kill('SIGTERM');
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.once('end', stop);
process.stdin.resume();
