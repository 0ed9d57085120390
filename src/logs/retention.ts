/**
 * Retention: log groups with a retention policy lose events older than it. A sweep runs
 * on the injected clock (tests advance it), and after each PutRetentionPolicy.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
import type { Clock } from '../util/clock.ts';

/** retentionInDays values the API accepts (the Days shape of the CloudWatch Logs model). */
export const RETENTION_DAYS: ReadonlySet<number> = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);

/** How often expired events are looked for. AWS deletes them within days; an hour is plenty. */
export const RETENTION_SWEEP_MS = 60 * 60_000;

export interface RetentionTarget {
  sweepRetention(now: number): number;
}

/** Sweeps every RETENTION_SWEEP_MS of `clock`; returns the function that stops it. */
export function scheduleRetentionSweep(
  store: RetentionTarget,
  clock: Clock,
  onError: (err: unknown) => void,
  onSwept: (deleted: number) => void = () => {},
): () => void {
  let cancel: () => void = () => {};
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    try {
      const deleted = store.sweepRetention(clock.now());
      if (deleted > 0) onSwept(deleted);
    } catch (err) {
      onError(err);
    }
    if (!stopped) cancel = clock.setTimeout(tick, RETENTION_SWEEP_MS);
  };
  cancel = clock.setTimeout(tick, RETENTION_SWEEP_MS);
  return () => {
    stopped = true;
    cancel();
  };
}
