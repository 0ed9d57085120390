/**
 * Space-delimited filter patterns: `[ip, user, ..., status = 4*, bytes > 1000]`. A message
 * splits at spaces into fields ("quoted" and [bracketed] runs are one field each); the
 * pattern names them in order, `...` stands for any number of fields, and conditions
 * (=, !=, <, <=, >, >=, several joined by && or || on the same field) must hold.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-space-delimited-log-events
 */
import { InvalidFilterPatternError, wildcard, type Matcher } from './pattern-values.ts';

type FieldTest = (value: string) => boolean;
const ELLIPSIS = Symbol('...');
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function compileDelimitedPattern(pattern: string): Matcher {
  const body = pattern.trim();
  if (!body.endsWith(']')) throw new InvalidFilterPatternError('a space-delimited pattern ends with ]');
  const fields = splitTopLevel(body.slice(1, -1)).map(compileField);
  const at = fields.indexOf(ELLIPSIS);
  if (fields.lastIndexOf(ELLIPSIS) !== at) throw new InvalidFilterPatternError('only one ... is allowed');
  const head = (at < 0 ? fields : fields.slice(0, at)) as FieldTest[];
  const tail = (at < 0 ? [] : fields.slice(at + 1)) as FieldTest[];
  return (message) => {
    const values = splitMessage(message);
    if (at < 0 ? values.length !== head.length : values.length < head.length + tail.length) return false;
    return head.every((t, i) => t(values[i]!)) && tail.every((t, i) => t(values[values.length - tail.length + i]!));
  };
}

/** Splits on commas outside quotes. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

function compileField(text: string): FieldTest | typeof ELLIPSIS {
  if (text === '...') return ELLIPSIS;
  if (text === '') throw new InvalidFilterPatternError('an empty field');
  const re = /\s*(&&|\|\|)?\s*([A-Za-z0-9_$.-]+)?\s*(!=|<=|>=|=|<|>)\s*("(?:[^"\\]|\\.)*"|[^\s&|]+)/y;
  const name = /^[A-Za-z0-9_$.-]+$/;
  if (name.test(text)) return () => true;
  let test: FieldTest | undefined;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new InvalidFilterPatternError(`bad field condition: ${text}`);
    const [, join, , op, raw] = m;
    if ((test === undefined) !== (join === undefined)) throw new InvalidFilterPatternError(`bad field condition: ${text}`);
    const cond = condition(op!, raw!.startsWith('"') ? { text: raw!.slice(1, -1).replace(/\\(.)/g, '$1'), quoted: true } : { text: raw!, quoted: false });
    const prev = test;
    test = prev === undefined ? cond : join === '&&' ? (v) => prev(v) && cond(v) : (v) => prev(v) || cond(v);
    at = re.lastIndex;
    while (at < text.length && /\s/.test(text[at]!)) at++;
  }
  return test!;
}

function condition(op: string, value: { text: string; quoted: boolean }): FieldTest {
  const numeric = !value.quoted && NUMBER.test(value.text);
  if (op === '=' || op === '!=') {
    const matches = numeric ? (v: string) => v === value.text || (NUMBER.test(v) && Number(v) === Number(value.text)) : wildcard(value.text);
    return op === '=' ? matches : (v) => !matches(v);
  }
  if (!numeric) throw new InvalidFilterPatternError(`${op} needs a number, found ${value.text}`);
  const n = Number(value.text);
  const cmp = { '<': (a: number) => a < n, '>': (a: number) => a > n, '<=': (a: number) => a <= n, '>=': (a: number) => a >= n }[op]!;
  return (v) => NUMBER.test(v) && cmp(Number(v));
}

/** Fields of a message: runs of non-spaces, a "quoted" run or a [bracketed] run each being one. */
function splitMessage(message: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|\[([^\]]*)\]|(\S+)/g;
  for (const m of message.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}
