export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** [0, 1): a uniform random source (injectable for deterministic tests). */
  random: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so retries of
 * many checks after one forge outage spread out instead of arriving together.
 */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const exp = Math.min(o.maxMs, o.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * o.random());
}
