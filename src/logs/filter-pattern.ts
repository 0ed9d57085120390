/**
 * CloudWatch Logs filter patterns, as FilterLogEvents applies them:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 *
 * - unstructured text: terms that must all appear, "quoted phrases", -exclusions, and
 *   `?a ?b` (any of);
 * - JSON: `{ $.a.b[0] = "x*" && ($.n > 3 || $.flag IS TRUE) }` (see json-pattern.ts);
 * - space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]` (see delimited-pattern.ts).
 *
 * A pattern that cannot be parsed throws InvalidFilterPatternError; the service reports it
 * as AWS does (InvalidParameterException "Invalid filter pattern").
 */
import { compileJsonPattern } from './json-pattern.ts';
import { compileDelimitedPattern } from './delimited-pattern.ts';
import type { Matcher } from './pattern-values.ts';

export { InvalidFilterPatternError, type Matcher } from './pattern-values.ts';

export function compileFilterPattern(pattern: string): Matcher {
  const trimmed = pattern.trim();
  if (trimmed === '') return () => true;
  if (trimmed.startsWith('{')) return compileJsonPattern(trimmed);
  if (trimmed.startsWith('[')) return compileDelimitedPattern(trimmed);
  return compileTermPattern(trimmed);
}

function compileTermPattern(trimmed: string): Matcher {
  const include: string[] = [];
  const exclude: string[] = [];
  const any: string[] = [];
  const re = /([-?]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of trimmed.matchAll(re)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    if (m[1] === '-') exclude.push(term);
    else if (m[1] === '?') any.push(term);
    else include.push(term);
  }
  return (message) =>
    include.every((t) => message.includes(t)) &&
    !exclude.some((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t)));
}
