/**
 * LoggingConfig, as Lambda validates, stores and reports it; and what it means for an
 * execution environment (AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, the log group).
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
 */
import { InvalidParameterValueException } from '../errors/index.ts';
import type { FunctionLoggingConfig, FunctionRecord } from '../storage/index.ts';
import { logGroupName } from './names.ts';
import type { LoggingConfigBody } from './schemas.ts';

/** Lambda's own words when levels come with the Text format. */
export const LOG_LEVEL_NEEDS_JSON =
  'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.';

/**
 * The LoggingConfig after a request: fields given replace the current ones; levels need
 * JSON (and default to INFO with it); a switch to Text drops them.
 */
export function resolveLoggingConfig(body: LoggingConfigBody | undefined, current: FunctionLoggingConfig | undefined): FunctionLoggingConfig | undefined {
  if (!body) return current;
  const logFormat = body.LogFormat ?? current?.logFormat ?? 'Text';
  const logGroup = body.LogGroup ?? current?.logGroup;
  if (logFormat === 'Text') {
    if (body.ApplicationLogLevel || body.SystemLogLevel) throw new InvalidParameterValueException(LOG_LEVEL_NEEDS_JSON);
    return { logFormat, ...(logGroup ? { logGroup } : {}) };
  }
  return {
    logFormat,
    applicationLogLevel: body.ApplicationLogLevel ?? current?.applicationLogLevel ?? 'INFO',
    systemLogLevel: body.SystemLogLevel ?? current?.systemLogLevel ?? 'INFO',
    ...(logGroup ? { logGroup } : {}),
  };
}

/** The log group a function writes to. */
export function logGroupOf(record: FunctionRecord): string {
  return record.loggingConfig?.logGroup ?? logGroupName(record.name);
}

/** FunctionConfiguration.LoggingConfig. */
export function loggingConfigShape(record: FunctionRecord) {
  const c = record.loggingConfig;
  return {
    LogFormat: c?.logFormat ?? 'Text',
    ...(c?.applicationLogLevel ? { ApplicationLogLevel: c.applicationLogLevel } : {}),
    ...(c?.systemLogLevel ? { SystemLogLevel: c.systemLogLevel } : {}),
    LogGroup: logGroupOf(record),
  };
}
