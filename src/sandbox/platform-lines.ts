/**
 * The platform's own log lines in the function's LogFormat. Text: START / END / REPORT
 * and the failure lines. JSON: records `{"time","type","record"}` as Lambda writes its
 * system logs, filtered by SystemLogLevel (platform.start and platform.report at INFO,
 * platform.runtimeDone at DEBUG); failures show in the report's status and errorType.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html
 * https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
 */
import type { Clock } from '../util/clock.ts';
import { endLine, initReportLine, reportLine, startLine, type ReportFields } from './log-lines.ts';
import type { FunctionSpec } from './types.ts';

/** null: nothing is written. */
export interface PlatformLines {
  start(requestId: string): string | null;
  end(requestId: string, durationMs: number, status: 'success' | 'timeout' | 'error', errorType?: string): string | null;
  report(requestId: string, f: ReportFields): string | null;
  initReport(durationMs: number, status: 'error' | 'timeout', errorType: string | undefined, initializationType: string): string | null;
  /** Text-only lines about a failure (timeout, runtime exit): JSON reports them in platform.report. */
  failure(text: string): string | null;
}

const SYSTEM_LEVELS: Readonly<Record<string, number>> = { DEBUG: 1, INFO: 2, WARN: 3 };

export function platformLines(spec: FunctionSpec, clock: Clock): PlatformLines {
  if (!spec.jsonLogging) {
    return {
      start: (requestId) => startLine(requestId, spec.version),
      end: (requestId) => endLine(requestId),
      report: (requestId, f) => reportLine(requestId, f),
      initReport: (durationMs, status, errorType) => initReportLine(durationMs, status, errorType),
      failure: (text) => text,
    };
  }
  const min = SYSTEM_LEVELS[spec.jsonLogging.systemLogLevel] ?? SYSTEM_LEVELS.INFO!;
  const record = (level: 'DEBUG' | 'INFO', type: string, body: Record<string, unknown>): string | null =>
    SYSTEM_LEVELS[level]! >= min ? JSON.stringify({ time: new Date(clock.now()).toISOString(), type, record: body }) : null;
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {
    start: (requestId) => record('INFO', 'platform.start', { requestId, functionArn: spec.functionArn, version: spec.version }),
    end: (requestId, durationMs, status, errorType) =>
      record('DEBUG', 'platform.runtimeDone', { requestId, status, ...(errorType ? { errorType } : {}), metrics: { durationMs: round(durationMs) } }),
    report: (requestId, f) =>
      record('INFO', 'platform.report', {
        requestId,
        metrics: {
          durationMs: round(f.durationMs),
          billedDurationMs: f.billedDurationMs,
          memorySizeMB: f.memorySizeMB,
          maxMemoryUsedMB: f.maxMemoryUsedMB,
          ...(f.initDurationMs !== undefined ? { initDurationMs: round(f.initDurationMs) } : {}),
        },
        status: f.status ?? 'success',
        ...(f.errorType ? { errorType: f.errorType } : {}),
      }),
    initReport: (durationMs, status, errorType, initializationType) =>
      record('INFO', 'platform.initReport', {
        initializationType,
        phase: 'init',
        status,
        ...(errorType ? { errorType } : {}),
        metrics: { durationMs: round(durationMs) },
      }),
    failure: () => null,
  };
}
