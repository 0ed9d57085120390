/** Injected time source: retries, backoff, event age and timeouts read it so tests can advance time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Schedules fn after ms; the returned function cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const SYSTEM_CLOCK: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout(fn: () => void, ms: number) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
});
