/**
 * Wildcard matching and policy variables, shared by the statement matcher and the
 * condition operators. Globs, never regular expressions taken from a policy.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */

export type ContextValue = string | readonly string[] | boolean | number | undefined;
/** Condition keys of a request (aws:SourceIp, s3:prefix...); names are case-insensitive. */
export type RequestContext = Readonly<Record<string, ContextValue>>;

/** A request context with lower-cased keys and every value as a list of strings. */
export class ContextKeys {
  #values: Map<string, readonly string[]> | undefined;
  readonly #layers: (RequestContext | undefined)[];

  constructor(...layers: (RequestContext | undefined)[]) {
    this.#layers = layers;
  }

  /** The key's values, or undefined when the request does not carry the key. */
  get(key: string): readonly string[] | undefined {
    return (this.#values ??= this.#index()).get(key.toLowerCase());
  }

  /** Built on the first lookup: most requests are decided without reading a condition key. */
  #index(): Map<string, readonly string[]> {
    const values = new Map<string, readonly string[]>();
    // Later layers win: the caller's context overrides what was derived from the principal.
    for (const layer of this.#layers) {
      for (const [key, value] of Object.entries(layer ?? {})) {
        if (value === undefined) continue;
        values.set(key.toLowerCase(), typeof value === 'object' ? [...value] : [String(value)]);
      }
    }
    return values;
  }
}

/** How `*` and `?` behave. */
export type GlobMode =
  /** Anything, colons included (Action, StringLike, an ARN's resource part). */
  | 'free'
  /**
   * Resource: wildcards stay inside a colon-separated segment, except that a `*` ending a
   * segment "can expand to match beyond the colon boundaries" (IAM Resource element docs).
   */
  | 'resource'
  /** One ARN segment of ArnLike: wildcards never cross a colon. */
  | 'segment';

export interface GlobOptions {
  readonly mode: GlobMode;
  readonly ignoreCase?: boolean;
  /** Substitutes ${...} variables (policy Version 2012-10-17); without it they are literal text. */
  readonly context?: ContextKeys;
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 10_000;
const VARIABLE = /\$\{([^}]*)\}/y;

/** Whether `value` matches the wildcard `pattern`; false when a variable of the pattern has no value. */
export function globMatch(pattern: string, value: string, options: GlobOptions): boolean {
  return compileGlob(pattern, options)?.test(value) ?? false;
}

/** As globMatch, but undefined when a policy variable in the pattern has no value (the statement then does not apply). */
export function globMatchOrUnresolved(pattern: string, value: string, options: GlobOptions): boolean | undefined {
  const re = compileGlob(pattern, options);
  return re === undefined ? undefined : re.test(value);
}

export function compileGlob(pattern: string, options: GlobOptions): RegExp | undefined {
  const variables = options.context !== undefined && pattern.includes('${');
  const cacheKey = `${options.mode}|${options.ignoreCase ? 'i' : ''}|${pattern}`;
  if (!variables) {
    const hit = cache.get(cacheKey);
    if (hit) return hit;
  }
  let source = '';
  // In an ARN the first five colons end segments; after them (the resource part) they are plain characters.
  let colons = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === ':') colons++;
    const inResourcePart = options.mode === 'resource' && colons >= 5;
    if (variables && ch === '$') {
      VARIABLE.lastIndex = i;
      const m = VARIABLE.exec(pattern);
      if (m) {
        const text = resolveVariable(m[1]!, options.context!);
        if (text === undefined) return undefined;
        source += escapeRegExp(text);
        i += m[0].length - 1;
        continue;
      }
    }
    if (ch === '*') {
      const endsSegment = i + 1 === pattern.length || pattern[i + 1] === ':';
      source += options.mode === 'free' || inResourcePart || (options.mode === 'resource' && endsSegment) ? '.*' : '[^:]*';
    } else if (ch === '?') {
      source += options.mode === 'free' || inResourcePart ? '.' : '[^:]';
    } else {
      source += escapeRegExp(ch);
    }
  }
  const re = new RegExp(`^${source}$`, options.ignoreCase ? 'is' : 's');
  if (!variables) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(cacheKey, re);
  }
  return re;
}

/**
 * A condition value with its variables replaced; undefined when one has no value.
 * `keepEscapes` leaves ${*}, ${?} and ${$} for a later glob to read as literal characters.
 */
export function substituteVariables(
  template: string,
  context: ContextKeys | undefined,
  options: { readonly keepEscapes?: boolean } = {},
): string | undefined {
  if (context === undefined || !template.includes('${')) return template;
  let failed = false;
  const out = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (options.keepEscapes && ['*', '?', '$'].includes(inner.trim())) return whole;
    const text = resolveVariable(inner, context);
    if (text === undefined) failed = true;
    return text ?? '';
  });
  return failed ? undefined : out;
}

/**
 * `${aws:username}`, `${aws:username, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`
 * that stand for the literal characters. A key with several values cannot be substituted.
 */
function resolveVariable(inner: string, context: ContextKeys): string | undefined {
  const trimmed = inner.trim();
  if (trimmed === '*' || trimmed === '?' || trimmed === '$') return trimmed;
  const m = /^([^,]+?)\s*(?:,\s*'([^']*)')?$/.exec(trimmed);
  if (!m) return undefined;
  const values = context.get(m[1]!);
  if (values && values.length === 1) return values[0];
  return m[2];
}

/** Splits an ARN into its six parts (the last keeps its colons); undefined if it has fewer. */
export function splitArn(arn: string): string[] | undefined {
  const parts: string[] = [];
  let start = 0;
  for (let n = 0; n < 5; n++) {
    const colon = arn.indexOf(':', start);
    if (colon < 0) return undefined;
    parts.push(arn.slice(start, colon));
    start = colon + 1;
  }
  parts.push(arn.slice(start));
  return parts;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
