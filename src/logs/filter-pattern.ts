/**
 * CloudWatch Logs filter patterns for unstructured text: terms that must all appear,
 * "quoted phrases", and -exclusions. The full syntax (JSON and space-delimited
 * patterns) arrives with the observability issue.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
export function compileFilterPattern(pattern: string): (message: string) => boolean {
  const trimmed = pattern.trim();
  if (trimmed === '') return () => true;
  const include: string[] = [];
  const exclude: string[] = [];
  const re = /(-?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of trimmed.matchAll(re)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    (m[1] ? exclude : include).push(term);
  }
  return (message) => include.every((t) => message.includes(t)) && !exclude.some((t) => message.includes(t));
}
