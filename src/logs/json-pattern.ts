/**
 * JSON filter patterns: `{ <selector> <op> <value> }` joined by && and ||, grouped by
 * parentheses. Selectors are `$.a.b`, `$.a[0].c`; values are numbers, "quoted" or bare
 * strings (where `*` is a wildcard); `IS NULL`, `NOT EXISTS`, `IS TRUE`, `IS FALSE` test
 * a field's presence and type. Events whose message is not a JSON object never match.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html#matching-terms-json-log-events
 */
import { InvalidFilterPatternError, wildcard, type Matcher } from './pattern-values.ts';

type Node =
  | { readonly kind: 'and' | 'or'; readonly left: Node; readonly right: Node }
  | { readonly kind: 'test'; readonly path: readonly (string | number)[]; readonly test: (v: unknown, present: boolean) => boolean };

type Token = { readonly t: 'punct' | 'op' | 'sel' | 'str' | 'word'; readonly v: string };

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function compileJsonPattern(pattern: string): Matcher {
  const tokens = tokenize(pattern);
  const parser = new Parser(tokens);
  parser.expect('punct', '{');
  const root = parser.or();
  parser.expect('punct', '}');
  if (!parser.done) throw invalid(`unexpected ${parser.peek()?.v}`);
  return (message) => {
    const start = message.indexOf('{');
    if (start < 0) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(start === 0 ? message : message.slice(start));
    } catch {
      return false;
    }
    return doc !== null && typeof doc === 'object' && evaluate(root, doc);
  };
}

function evaluate(node: Node, doc: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, doc) && evaluate(node.right, doc);
    case 'or':
      return evaluate(node.left, doc) || evaluate(node.right, doc);
    case 'test': {
      let v: unknown = doc;
      for (const key of node.path) {
        if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key)) return node.test(undefined, false);
        v = (v as Record<string | number, unknown>)[key];
      }
      return node.test(v, true);
    }
  }
}

class Parser {
  #i = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  get done(): boolean {
    return this.#i >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  next(): Token {
    const t = this.tokens[this.#i++];
    if (!t) throw invalid('the pattern ends early');
    return t;
  }

  expect(t: Token['t'], v?: string): Token {
    const tok = this.next();
    if (tok.t !== t || (v !== undefined && tok.v !== v)) throw invalid(`expected ${v ?? t}, found ${tok.v}`);
    return tok;
  }

  or(): Node {
    let left = this.and();
    while (this.peek()?.v === '||') {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  and(): Node {
    let left = this.unary();
    while (this.peek()?.v === '&&') {
      this.next();
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  unary(): Node {
    if (this.peek()?.v === '(' && this.peek()?.t === 'punct') {
      this.next();
      const inner = this.or();
      this.expect('punct', ')');
      return inner;
    }
    return this.comparison();
  }

  comparison(): Node {
    const path = parseSelector(this.expect('sel').v);
    const tok = this.next();
    if (tok.t === 'word') {
      const phrase = `${tok.v.toUpperCase()} ${this.expect('word').v.toUpperCase()}`;
      const test = KEYWORD_TESTS[phrase];
      if (!test) throw invalid(`unknown test ${phrase}`);
      return { kind: 'test', path, test };
    }
    if (tok.t !== 'op') throw invalid(`expected an operator after the selector, found ${tok.v}`);
    const value = this.next();
    if (value.t !== 'str' && value.t !== 'word') throw invalid(`expected a value, found ${value.v}`);
    return { kind: 'test', path, test: comparisonTest(tok.v, value) };
  }
}

const KEYWORD_TESTS: Readonly<Record<string, (v: unknown, present: boolean) => boolean>> = {
  'IS NULL': (v, present) => present && v === null,
  'NOT EXISTS': (_v, present) => !present,
  'IS TRUE': (v) => v === true,
  'IS FALSE': (v) => v === false,
};

function comparisonTest(op: string, value: Token): (v: unknown, present: boolean) => boolean {
  const numeric = value.t === 'word' && NUMBER.test(value.v);
  if (op !== '=' && op !== '!=') {
    if (!numeric) throw invalid(`${op} needs a number, found ${value.v}`);
    const n = Number(value.v);
    const cmp = { '<': (a: number) => a < n, '>': (a: number) => a > n, '<=': (a: number) => a <= n, '>=': (a: number) => a >= n }[op]!;
    return (v) => typeof v === 'number' && cmp(v);
  }
  let equals: (v: unknown) => boolean;
  if (numeric) {
    const n = Number(value.v);
    equals = (v) => (typeof v === 'number' ? v === n : typeof v === 'string' && v === value.v);
  } else {
    const matches = wildcard(value.v);
    equals = (v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && matches(String(v));
  }
  if (op === '=') return (v, present) => present && equals(v);
  // != holds for a field that is there with another value; an absent field matches nothing.
  return (v, present) => present && v !== null && typeof v !== 'object' && !equals(v);
}

/** `$.a.b[0]['c d']` → ['a', 'b', 0, 'c d'] */
function parseSelector(text: string): (string | number)[] {
  if (!text.startsWith('$')) throw invalid(`a selector starts with $: ${text}`);
  const path: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let at = 1;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw invalid(`bad selector ${text}`);
    path.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3] ?? m[4])!);
    at = re.lastIndex;
  }
  if (path.length === 0) throw invalid(`bad selector ${text}`);
  return path;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if ('{}()'.includes(c)) {
      out.push({ t: 'punct', v: c });
      i++;
    } else if (src.startsWith('&&', i) || src.startsWith('||', i)) {
      out.push({ t: 'op', v: src.slice(i, i + 2) });
      i += 2;
    } else if (/^(!=|<=|>=|=|<|>)/.test(src.slice(i, i + 2))) {
      const op = /^(!=|<=|>=|=|<|>)/.exec(src.slice(i, i + 2))![1]!;
      out.push({ t: 'op', v: op });
      i += op.length;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j];
        j++;
      }
      if (j >= src.length) throw invalid('unterminated string');
      out.push({ t: 'str', v: s });
      i = j + 1;
    } else {
      let j = i;
      // A selector may hold brackets; a value ends at space, operator or closing punctuation.
      const sel = c === '$';
      while (j < src.length && !/\s/.test(src[j]!) && !'(){}=!<>'.includes(src[j]!) && !src.startsWith('&&', j) && !src.startsWith('||', j)) {
        if (sel && src[j] === '[') {
          const close = src.indexOf(']', j);
          j = close < 0 ? src.length : close + 1;
        } else j++;
      }
      out.push({ t: sel ? 'sel' : 'word', v: src.slice(i, j) });
      i = j;
    }
  }
  return out;
}

function invalid(why: string): InvalidFilterPatternError {
  return new InvalidFilterPatternError(why);
}
