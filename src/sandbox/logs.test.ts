/** What lands in the LogSink: function output, START/END/REPORT, Init Duration, the log tail. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createSandboxPool } from './index.ts';
import { assertNoChildren, makeRequest, makeSpec, MemoryLogSink } from './test-helpers.ts';

const sink = new MemoryLogSink();
const pool = createSandboxPool({ logSink: sink, idleTimeoutMs: 60_000 });

after(async () => {
  await pool.dispose();
  assertNoChildren();
});

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;
const REPORT = (id: string, init: boolean) =>
  new RegExp(
    `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\t` +
      (init ? `Init Duration: \\d+\\.\\d{2} ms\\t` : '') +
      '$',
  );

describe('function logs', () => {
  const spec = makeSpec('logging', 'index.handler');

  it('writes console output in AWS format between START and END, with Init Duration only on the cold start', async () => {
    const cold = makeRequest(spec, {});
    const coldResult = await pool.invoke(spec, cold);
    const warm = makeRequest(spec, {});
    const warmResult = await pool.invoke(spec, warm);
    assert.equal(coldResult.payload.toString(), '"logged"');

    const id = cold.requestId;
    const logs = sink.invocation(id);
    assert.equal(logs[0], `START RequestId: ${id} Version: $LATEST`);
    const expected = [
      `INFO\thello { a: 1 }`,
      `INFO\tinfo 42`,
      `WARN\twarned`,
      `ERROR\tfirst line\nsecond line`,
      `DEBUG\tdebugged`,
      `TRACE\ttraced`,
    ].map((tail) => new RegExp(`^${ISO}\\t${id}\\t${tail}$`));
    assert.equal(logs.length, 1 + expected.length + 2 + 2, logs.join('\n'));
    expected.forEach((re, i) => assert.match(logs[1 + i]!, re));
    assert.deepEqual(new Set(logs.slice(7, 9)), new Set(['raw stdout line', 'raw stderr line']));
    assert.equal(logs.at(-2), `END RequestId: ${id}`);
    assert.match(logs.at(-1)!, REPORT(id, true));
    assert.equal(coldResult.logTail, logs.join('\n') + '\n');
    assert.ok(coldResult.initDurationMs! > 0);
    const maxMemory = Number(/Max Memory Used: (\d+) MB/.exec(logs.at(-1)!)![1]);
    assert.equal(maxMemory, coldResult.maxMemoryUsedMB);
    assert.ok(maxMemory > 10, `max memory ${maxMemory}`);

    const warmLogs = sink.invocation(warm.requestId);
    assert.match(warmLogs.at(-1)!, REPORT(warm.requestId, false));
    assert.equal(warmResult.initDurationMs, undefined);

    // Init output comes before the first START, with "undefined" for the request id.
    const all = sink.events.map((e) => e.message);
    const initLine = all.findIndex((m) => new RegExp(`^${ISO}\\tundefined\\tINFO\\tinit line$`).test(m));
    assert.ok(initLine >= 0 && initLine < all.indexOf(logs[0]!));

    // One environment, one stream, in the function's group, in time order.
    const mine = sink.events.filter((e) => e.group === spec.logGroupName);
    assert.equal(new Set(mine.map((e) => e.stream)).size, 1);
    assert.match(mine[0]!.stream, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.timestamp >= mine[i - 1]!.timestamp);
  });

  it('gets every line written before the response in before END', async () => {
    for (let round = 0; round < 3; round++) {
      const request = makeRequest(spec, { lines: 3000 });
      await pool.invoke(spec, request);
      const logs = sink.invocation(request.requestId);
      const numbered = logs.filter((m) => /\tINFO\tline \d+$/.test(m));
      assert.equal(numbered.length, 3000);
      assert.match(numbered[2999]!, /\tline 2999$/);
      assert.equal(logs.at(-2), `END RequestId: ${request.requestId}`);
    }
  });

  it('returns the last 4 KB of the invocation log as the tail', async () => {
    const request = makeRequest(spec, { lines: 500 });
    const result = await pool.invoke(spec, request);
    const tail = result.logTail!;
    assert.ok(Buffer.byteLength(tail) <= 4096 && Buffer.byteLength(tail) > 4000);
    assert.ok(tail.endsWith('\t\n'));
    assert.match(tail, /\tINFO\tline 499\nEND RequestId: /);
    const quiet = await pool.invoke(spec, makeRequest(spec, {}, { wantLogTail: false }));
    assert.equal(quiet.logTail, undefined);
  });

  it('honours AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL', async () => {
    const jsonSpec = makeSpec('logging', 'index.handler', {
      functionName: 'json-logs',
      environment: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN' },
    });
    const request = makeRequest(jsonSpec);
    await pool.invoke(jsonSpec, request);
    const records = sink
      .invocation(request.requestId)
      .filter((m) => m.startsWith('{'))
      .map((m) => JSON.parse(m));
    assert.deepEqual(
      records.map((r) => [r.level, r.message, r.requestId]),
      [
        ['WARN', 'warned', request.requestId],
        ['ERROR', 'first line\nsecond line', request.requestId],
      ],
    );
    assert.match(records[0].timestamp, new RegExp(`^${ISO}$`));
  });
});
