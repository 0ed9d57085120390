import { createHash } from 'node:crypto';
import { CloudWatchErrors } from '../errors/index.ts';
import { percentileOf } from '../metrics/index.ts';
import type { Doc, DocStruct } from './shapes.ts';

/**
 * Reading members of a decoded request with the model's constraints and CloudWatch's
 * messages ("The parameter X is required.").
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 */

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type StandardStatistic = (typeof STATISTICS)[number];

/** StandardUnit in the model. */
export const UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second',
  'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second', 'Megabits/Second',
  'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;

/** A percentile as ExtendedStatistics and Stat name it, exactly those the metrics store computes (p0.1, p99.9, p100; not p0 or p050). */
export function isPercentile(stat: string): boolean {
  return percentileOf(stat) !== undefined;
}

/** How a refused percentile is described in errors. */
export const PERCENTILE_FORM = 'a percentile pN above p0 and up to p100, with at most 10 decimals (p50, p99.9)';

export interface StringRule {
  readonly min?: number;
  readonly max?: number;
  /** Matches the whole value. */
  readonly pattern?: RegExp;
  readonly enum?: readonly string[];
}

// Limits of ../shared/aws-models/cloudwatch/service-2.json.gz.
export const RULES = {
  namespace: { min: 1, max: 255, pattern: /^[^:].*$/s },
  metricName: { min: 1, max: 255 },
  dimensionName: { min: 1, max: 255 },
  dimensionValue: { min: 1, max: 1024 },
  metricId: { min: 1, max: 255, pattern: /^[a-z][a-zA-Z0-9_]*$/ },
  unit: { enum: UNITS },
} satisfies Record<string, StringRule>;

export function str(input: DocStruct, member: string, path: string, rule: StringRule = {}): string | undefined {
  const value = input[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be a string.`);
  if (rule.min !== undefined && value.length < rule.min) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be at least ${rule.min} characters long.`);
  if (rule.max !== undefined && value.length > rule.max) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be at most ${rule.max} characters long.`);
  if (rule.enum && !rule.enum.includes(value)) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be a value in the set [ ${rule.enum.join(', ')} ].`);
  if (rule.pattern && !rule.pattern.test(value)) throw new CloudWatchErrors.InvalidParameterValue(`The value ${value} for parameter ${path} is not valid.`);
  return value;
}

export function requireStr(input: DocStruct, member: string, path: string, rule: StringRule = {}): string {
  const value = str(input, member, path, rule);
  if (value === undefined) throw missing(path);
  return value;
}

export function int(input: DocStruct, member: string, path: string): number | undefined {
  const value = input[member];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be an integer.`);
  return value;
}

export function requireTime(input: DocStruct, member: string): number {
  const value = input[member];
  if (value === undefined) throw missing(member);
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${member} must be a timestamp.`);
  return value.getTime();
}

export function structs(input: DocStruct, member: string, path: string, max: number): DocStruct[] {
  const value = input[member];
  if (value === undefined) return [];
  const items = value as readonly Doc[];
  if (items.length > max) throw new CloudWatchErrors.InvalidParameterValue(`The collection ${path} must not have a size greater than ${max}.`);
  return items as DocStruct[];
}

export function strings(input: DocStruct, member: string, path: string, max: number): string[] | undefined {
  const value = input[member];
  if (value === undefined) return undefined;
  const items = value as readonly string[];
  if (items.length > max) throw new CloudWatchErrors.InvalidParameterValue(`The collection ${path} must not have a size greater than ${max}.`);
  return [...items];
}

export function missing(path: string): Error {
  return new CloudWatchErrors.MissingParameter(`The parameter ${path} is required.`);
}

/** A metric's dimensions (at most 30, each Name and Value), as the record MetricsQuery takes. */
export function dimensions(input: DocStruct, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  structs(input, 'Dimensions', `${path}Dimensions`, 30).forEach((d, i) => {
    const at = `${path}Dimensions.member.${i + 1}`;
    const name = requireStr(d, 'Name', `${at}.Name`, RULES.dimensionName);
    const value = requireStr(d, 'Value', `${at}.Value`, RULES.dimensionValue);
    if (Object.hasOwn(out, name)) throw new CloudWatchErrors.InvalidParameterValue(`The collection ${path}Dimensions must not contain duplicate dimension names (${name}).`);
    out[name] = value;
  });
  return out;
}

/**
 * Period: at least 1 second; a multiple of 60, or 1, 5, 10 or 30 (high resolution). Nimbus keeps
 * 1-minute data only (AWS/Lambda's metrics are standard resolution), so a shorter period reads
 * minutes, as AWS answers it for standard-resolution metrics.
 */
export function period(input: DocStruct, member: string, path: string): { requested: number; effective: number } {
  const value = int(input, member, path);
  if (value === undefined) throw missing(path);
  if (value < 1) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be greater than 0.`);
  if (value % 60 !== 0 && ![1, 5, 10, 30].includes(value)) throw new CloudWatchErrors.InvalidParameterValue(`The parameter ${path} must be 1, 5, 10, 30 or a multiple of 60.`);
  return { requested: value, effective: Math.max(60, value) };
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * AWS rounds StartTime down by its age: to the minute under 15 days, to 5 minutes under 63
 * days, to the hour beyond (the resolutions it keeps).
 */
export function roundStart(startMs: number, nowMs: number): number {
  const age = nowMs - startMs;
  const unit = age < 15 * DAY ? MINUTE : age < 63 * DAY ? 5 * MINUTE : 60 * MINUTE;
  return Math.floor(startMs / unit) * unit;
}

/**
 * Pagination tokens: an offset, bound to the request it continues (a token from another
 * request, or one Nimbus did not issue, is InvalidNextToken).
 */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

export function encodeToken(offset: number, bound: string): string {
  return Buffer.from(JSON.stringify({ o: offset, b: bound })).toString('base64url');
}

export function decodeToken(token: string | undefined, bound: string): number {
  if (token === undefined) return 0;
  try {
    const { o, b } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown; b?: unknown };
    if (b === bound && typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // falls through
  }
  throw new CloudWatchErrors.InvalidNextToken('The value of NextToken is not valid for this request.');
}
