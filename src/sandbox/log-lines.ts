/**
 * Function output → log events, and the platform lines Lambda writes around an
 * invocation (START, END, REPORT, INIT_REPORT, timeouts, runtime exits).
 */
import { randomBytes } from 'node:crypto';
import { InvalidEntrypointError } from './launcher.ts';

/**
 * Largest log event Lambda writes, in UTF-8 bytes: a longer line is split into several
 * events of at most this size, so one huge print never makes one huge event.
 */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * Splits a child's output into lines. The runtime folds newlines inside one log call
 * into \r so a call stays one line; they become \n again in the stored event.
 * Empty lines are dropped (CloudWatch Logs refuses empty messages). A line longer than
 * MAX_EVENT_BYTES becomes several events, and an unfinished line is never held past it.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly maxBytes = MAX_EVENT_BYTES) {}

  /** Appends complete lines of `chunk` to `out`; keeps the unfinished tail. */
  push(chunk: string, out: string[]): void {
    let text = this.partial.length > 0 ? this.partial + chunk : chunk;
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl >= 0) {
      if (nl > start) this.emit(text.slice(start, nl), out);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.partial = start === 0 ? text : text.slice(start);
    text = '';
    // UTF-8 takes at most 3 bytes per UTF-16 unit: below that no byte count is needed.
    if (this.partial.length * 3 > this.maxBytes && Buffer.byteLength(this.partial) > this.maxBytes) {
      const pieces = splitUtf8(this.partial, this.maxBytes);
      this.partial = pieces.pop() ?? '';
      for (const piece of pieces) out.push(unfold(piece));
    }
  }

  /** Appends the unfinished line, if any. */
  flush(out: string[]): void {
    if (this.partial.length > 0) this.emit(this.partial, out);
    this.partial = '';
  }

  private emit(line: string, out: string[]): void {
    if (line.length * 3 <= this.maxBytes || Buffer.byteLength(line) <= this.maxBytes) out.push(unfold(line));
    else for (const piece of splitUtf8(line, this.maxBytes)) out.push(unfold(piece));
  }
}

/** Cuts text into pieces of at most maxBytes UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const buf = Buffer.from(text, 'utf8');
  const pieces: string[] = [];
  let at = 0;
  while (at < buf.length) {
    let end = Math.min(at + maxBytes, buf.length);
    while (end < buf.length && end > at && (buf[end]! & 0xc0) === 0x80) end--;
    pieces.push(buf.toString('utf8', at, end));
    at = end;
  }
  return pieces;
}

function unfold(line: string): string {
  return line.includes('\r') ? line.replace(/\r/g, '\n') : line;
}

/** `YYYY/MM/DD/[<version>]<32 lowercase hex>`, as Lambda names an environment's stream. */
export function newLogStreamName(nowMs: number, version: string): string {
  const d = new Date(nowMs);
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${d.getUTCFullYear()}/${mm}/${dd}/[${version}]${randomBytes(16).toString('hex')}`;
}

export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportFields {
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly memorySizeMB: number;
  readonly maxMemoryUsedMB: number;
  readonly initDurationMs?: number;
  /** Only for failed invocations: 'timeout' or 'error'. */
  readonly status?: 'timeout' | 'error';
  readonly errorType?: string;
}

export function reportLine(requestId: string, f: ReportFields): string {
  let line =
    `REPORT RequestId: ${requestId}\tDuration: ${f.durationMs.toFixed(2)} ms\tBilled Duration: ${f.billedDurationMs} ms\t` +
    `Memory Size: ${f.memorySizeMB} MB\tMax Memory Used: ${f.maxMemoryUsedMB} MB\t`;
  if (f.initDurationMs !== undefined) line += `Init Duration: ${f.initDurationMs.toFixed(2)} ms\t`;
  if (f.status) line += `Status: ${f.status}\t`;
  if (f.errorType) line += `Error Type: ${f.errorType}\t`;
  return line;
}

export function initReportLine(initDurationMs: number, status: 'error' | 'timeout', errorType?: string): string {
  let line = `INIT_REPORT Init Duration: ${initDurationMs.toFixed(2)} ms\tPhase: init\tStatus: ${status}`;
  if (errorType) line += `\tError Type: ${errorType}`;
  return line;
}

/** "3.00 seconds" */
export function timeoutText(timeoutSeconds: number): string {
  return `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/** `<ISO> <id> Task timed out after 3.00 seconds` */
export function timeoutLine(nowMs: number, requestId: string, timeoutSeconds: number): string {
  return `${new Date(nowMs).toISOString()} ${requestId} ${timeoutText(timeoutSeconds)}`;
}

/** Go's names for signals, which Lambda prints in "Runtime exited with error: signal: killed". */
const SIGNAL_TEXT: Readonly<Record<string, string>> = {
  SIGABRT: 'aborted',
  SIGALRM: 'alarm clock',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGHUP: 'hangup',
  SIGILL: 'illegal instruction',
  SIGINT: 'interrupt',
  SIGKILL: 'killed',
  SIGPIPE: 'broken pipe',
  SIGQUIT: 'quit',
  SIGSEGV: 'segmentation fault',
  SIGSYS: 'bad system call',
  SIGTERM: 'terminated',
  SIGTRAP: 'trace/breakpoint trap',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
  SIGXCPU: 'CPU time limit exceeded',
};

/** "Runtime exited with error: exit status 1" / "...: signal: killed" / "Runtime exited without providing a reason" */
export function runtimeExitText(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `Runtime exited with error: signal: ${SIGNAL_TEXT[signal] ?? signal.toLowerCase()}`;
  if (code === null || code === 0) return 'Runtime exited without providing a reason';
  return `Runtime exited with error: exit status ${code}`;
}

/** Keeps the last `maxBytes` of the lines, as the Invoke API's LogResult does. */
export function tailOf(lines: readonly string[], maxBytes = 4096): string {
  const text = lines.length === 0 ? '' : lines.join('\n') + '\n';
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= maxBytes ? text : buf.subarray(buf.length - maxBytes).toString('utf8');
}

/** `{"errorType":…,"errorMessage":…}`: the platform's own error documents. */
export function errorDocument(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

/** Why a runtime could not be started, as Lambda words it. */
export function spawnErrorText(init: { error: NodeJS.ErrnoException; command: string }): string {
  if (init.error instanceof InvalidEntrypointError) return init.error.message;
  if (init.error.code === 'ENOENT') return `Couldn't find valid bootstrap(s): [${init.command}]`;
  const reason = init.error.code === 'EACCES' ? 'permission denied' : init.error.message;
  return `fork/exec ${init.command}: ${reason}`;
}
