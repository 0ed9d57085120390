/**
 * One environment's log stream: the child's stdout and stderr cut into log events, the
 * platform lines written around invocations, and the lines kept for Invoke's LogResult.
 */
import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../util/clock.ts';
import { LineSplitter } from './log-lines.ts';
import type { LogSink } from './types.ts';

/** How long to wait for a dead child's pipes to drain (a grandchild may hold them open). */
const DRAIN_AFTER_EXIT_MS = 200;
/** Lines of init output kept for the LogResult of an invocation whose init failed. */
const INIT_LINES_KEPT = 200;
/**
 * Characters of output a tail keeps: LogResult is the last 4 KB, and 4,096 characters
 * are at least 4,096 bytes; the rest is slack so trimming is rare.
 */
export const TAIL_CHARS_KEPT = 8192;

export interface EnvironmentLogOptions {
  readonly sink: LogSink;
  readonly group: string;
  readonly stream: string;
  readonly clock: Clock;
  readonly logger?: { error(msg: string): void };
  /** Where output lines also go right now: the running invocation's tail, or null. */
  readonly currentTail: () => string[] | null;
}

export class EnvironmentLog {
  /** Output written before the first invocation (kept for a failed init's LogResult); null after. */
  initLines: string[] | null = [];
  private readonly stdout = new LineSplitter();
  private readonly stderr = new LineSplitter();
  private openStreams = 0;
  private readonly streamsClosed: Promise<void>;
  private markStreamsClosed!: () => void;

  constructor(private readonly options: EnvironmentLogOptions) {
    this.streamsClosed = new Promise((resolve) => (this.markStreamsClosed = resolve));
  }

  /** Reads the child's stdout and stderr into the log. */
  attach(child: ChildProcess): void {
    for (const [stream, splitter] of [
      [child.stdout, this.stdout],
      [child.stderr, this.stderr],
    ] as const) {
      if (!stream) continue;
      this.openStreams++;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.onOutput(chunk, splitter));
      stream.on('close', () => {
        if (--this.openStreams <= 0) this.markStreamsClosed();
      });
      stream.on('error', () => {});
    }
  }

  /** Writes a line of the platform's own (START, END, REPORT, errors); null writes nothing. */
  platform(message: string | null, tail: string[] | null): void {
    if (message === null) return;
    this.append([{ timestamp: this.options.clock.now(), message }]);
    if (tail) pushBounded(tail, [message]);
  }

  /** Writes out unfinished lines (output without a final newline). */
  flushPartial(tail: string[] | null): void {
    const lines: string[] = [];
    this.stdout.flush(lines);
    this.stderr.flush(lines);
    if (lines.length === 0) return;
    const timestamp = this.options.clock.now();
    this.append(lines.map((message) => ({ timestamp, message })));
    if (tail) pushBounded(tail, lines);
  }

  /** Resolves when the child's pipes are drained, or shortly after exit if something holds them. */
  drain(): Promise<void> {
    if (this.openStreams <= 0) return Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_AFTER_EXIT_MS)));
    return Promise.race([this.streamsClosed, late]).finally(() => clearTimeout(timer));
  }

  private onOutput(chunk: string, splitter: LineSplitter): void {
    const lines: string[] = [];
    splitter.push(chunk, lines);
    if (lines.length === 0) return;
    const timestamp = this.options.clock.now();
    this.append(lines.map((message) => ({ timestamp, message })));
    const tail = this.options.currentTail() ?? this.initLines;
    if (tail) {
      pushBounded(tail, lines);
      if (tail === this.initLines && tail.length > INIT_LINES_KEPT) tail.splice(0, tail.length - INIT_LINES_KEPT);
    }
  }

  /** A failing log sink must not take the host down with it. */
  private append(events: { timestamp: number; message: string }[]): void {
    try {
      this.options.sink.append(this.options.group, this.options.stream, events);
    } catch (error) {
      this.options.logger?.error(`sandbox: log sink failed for ${this.options.group}: ${String(error)}`);
    }
  }
}

/**
 * Appends lines to a tail, keeping only its last TAIL_CHARS_KEPT characters (whole lines,
 * the oldest kept one cut from the front), so a function printing megabytes holds kilobytes.
 */
export function pushBounded(tail: string[], lines: readonly string[]): void {
  for (const line of lines) tail.push(line);
  let kept = 0;
  let i = tail.length;
  while (i > 0 && kept < TAIL_CHARS_KEPT) kept += tail[--i]!.length + 1;
  if (i > 0) tail.splice(0, i);
  const over = kept - TAIL_CHARS_KEPT;
  if (over > 0 && tail.length > 0 && tail[0]!.length > over) tail[0] = tail[0]!.slice(over);
}
