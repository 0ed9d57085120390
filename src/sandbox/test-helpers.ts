/** Shared by the sandbox tests: fixtures, specs, an in-memory LogSink, a manual clock, child checks. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../util/clock.ts';
import type { FunctionSpec, InvokeRequest, InvokeResult, LogSink } from './types.ts';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/handlers');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export function makeSpec(fixture: string, handler: string, overrides: Partial<FunctionSpec> = {}): FunctionSpec {
  const functionName = overrides.functionName ?? `fn-${fixture}`;
  return {
    key: `${functionName}:${fixture}:${handler}:${overrides.timeout ?? 3}`,
    functionName,
    functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    version: '$LATEST',
    runtime: 'nodejs20.x',
    handler,
    codeDir: path.join(FIXTURES, fixture),
    memorySize: 128,
    timeout: 3,
    ephemeralStorage: 512,
    environment: {},
    logGroupName: `/aws/lambda/${functionName}`,
    region: REGION,
    ...overrides,
  };
}

export function makeRequest(spec: FunctionSpec, event: unknown = {}, overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  return {
    requestId: randomUUID(),
    payload: Buffer.from(JSON.stringify(event)),
    invokedFunctionArn: spec.functionArn,
    traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    wantLogTail: true,
    ...overrides,
  };
}

export function json(result: InvokeResult): any {
  return JSON.parse(result.payload.toString('utf8'));
}

export interface StoredEvent {
  readonly group: string;
  readonly stream: string;
  readonly timestamp: number;
  readonly message: string;
}

export class MemoryLogSink implements LogSink {
  readonly events: StoredEvent[] = [];

  append(group: string, stream: string, events: ReadonlyArray<{ timestamp: number; message: string }>): void {
    for (const e of events) this.events.push({ group, stream, timestamp: e.timestamp, message: e.message });
  }

  /** Messages from START of `requestId` to its REPORT, inclusive. */
  invocation(requestId: string): string[] {
    const all = this.events.map((e) => e.message);
    const start = all.indexOf(`START RequestId: ${requestId} Version: $LATEST`);
    const report = all.findIndex((m) => m.startsWith(`REPORT RequestId: ${requestId}\t`));
    assert.ok(start >= 0 && report > start, `no START..REPORT for ${requestId}`);
    return all.slice(start, report + 1);
  }

  streamOf(requestId: string): StoredEvent {
    const e = this.events.find((x) => x.message === `START RequestId: ${requestId} Version: $LATEST`);
    assert.ok(e, `no START for ${requestId}`);
    return e;
  }
}

/** A clock whose timers fire only when the test advances it. */
export class ManualClock implements Clock {
  private nowMs = Date.now();
  private timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer = { at: this.nowMs + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.timers.filter((t) => t.at <= this.nowMs);
    this.timers = this.timers.filter((t) => t.at > this.nowMs);
    for (const t of due) t.fn();
  }
}

/**
 * PIDs of this process's live sandbox children, from /proc. Sandboxes lead their own
 * process group; that tells them from helpers such as tsx's esbuild service.
 */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state, ppid, pgrp] = fields;
      if (Number(ppid) === process.pid && Number(pgrp) === Number(name) && state !== 'Z') pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Whether a process runs (a zombie nobody reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Fails unless every given pid and every child of this process is gone. */
export function assertNoChildren(pids: Iterable<number> = []): void {
  for (const pid of pids) assert.equal(isAlive(pid), false, `child ${pid} outlived the pool`);
  assert.deepEqual(childPids(), [], 'children outlived the pool');
}

export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A skip reason when a host tool a suite needs is missing; with CI=true a missing tool
 * fails the suite instead (as test/helpers/aws-cli.ts does for the AWS CLI).
 */
export function skipUnless(available: boolean, why: string): string | false {
  if (available) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}: this suite cannot be skipped in CI`);
  return why;
}

/** Whether a process with this pid exists and is not a zombie (any parent). */
export function processExists(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process's command line, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}
