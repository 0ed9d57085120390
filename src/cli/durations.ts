import { CliError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * "500ms", "30s", "10m", "1h", "2d", "1w" → milliseconds. A bare number is taken in
 * bareUnit (seconds unless said otherwise). Returns undefined when text is not a duration.
 */
export function parseDuration(text: string, bareUnit: keyof typeof UNIT_MS = 's'): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? bareUnit).toLowerCase();
  return Math.round(Number(m[1]) * UNIT_MS[unit]!);
}

/** --since: a duration back from now ("10m", "1h") or an absolute ISO 8601 time. Returns epoch ms. */
export function parseSince(text: string, now: number = Date.now()): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return at;
  }
  throw new CliError(`Invalid --since value: ${text} (use a duration like 10m, 1h, 2d or an ISO time like 2024-05-01T12:00:00Z)`);
}
