/**
 * Time as the store, queue and reporter see it. Injected so that outage, backoff and rate-limit
 * tests run in milliseconds against a ManualClock instead of waiting for real minutes.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels the timer. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The real clock. Timers are unref'd: a pending retry never keeps a finished process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
};
