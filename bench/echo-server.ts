/**
 * The floor's server: the least a Node HTTP server can do per request (read the body,
 * answer 200 with `{}`), with the gateway's keep-alive settings. Prints
 * {"endpoint","pid"} once listening; exits on SIGTERM or when stdin closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from('{}');

const server = http.createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ endpoint: `http://127.0.0.1:${port}`, pid: process.pid })}\n`);
});

const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.stdin.once('end', stop);
process.stdin.resume();
