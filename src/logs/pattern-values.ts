/** What the filter-pattern compilers share. */

export type Matcher = (message: string) => boolean;

/** A filter pattern that cannot be parsed; the Logs API reports it as InvalidParameterException. */
export class InvalidFilterPatternError extends Error {
  override readonly name = 'InvalidFilterPatternError';
}

/**
 * `*` matches any run of characters; everything else is literal. Anchored: AWS compares whole values.
 * Matched greedily piece by piece rather than by regex, so a pattern like `*a*a*a*b` runs in linear time
 * instead of backtracking exponentially over a long value.
 */
export function wildcard(value: string): (s: string) => boolean {
  if (!value.includes('*')) return (s) => s === value;
  const pieces = value.split('*');
  const prefix = pieces[0]!;
  const suffix = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1).filter((p) => p !== '');
  const minLength = prefix.length + suffix.length;
  return (s) => {
    if (s.length < minLength || !s.startsWith(prefix) || !s.endsWith(suffix)) return false;
    // The leftmost occurrence of each middle piece leaves the most room for the rest.
    const end = s.length - suffix.length;
    let cursor = prefix.length;
    for (const piece of middle) {
      const at = s.indexOf(piece, cursor);
      if (at < 0 || at + piece.length > end) return false;
      cursor = at + piece.length;
    }
    return true;
  };
}
