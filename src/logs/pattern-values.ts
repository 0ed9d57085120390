/** What the filter-pattern compilers share. */

export type Matcher = (message: string) => boolean;

/** A filter pattern that cannot be parsed; the Logs API reports it as InvalidParameterException. */
export class InvalidFilterPatternError extends Error {
  override readonly name = 'InvalidFilterPatternError';
}

/** `*` matches any run of characters; everything else is literal. Anchored: AWS compares whole values. */
export function wildcard(value: string): (s: string) => boolean {
  if (!value.includes('*')) return (s) => s === value;
  const re = new RegExp(`^${value.split('*').map(escapeRegExp).join('[\\s\\S]*')}$`);
  return (s) => re.test(s);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
