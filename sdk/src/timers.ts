/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay fires at once (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay safe to hand to setTimeout: at most MAX_TIMER_MS, at least 0 (NaN becomes MAX_TIMER_MS, the
 * "never, in practice" end, so a bad value cannot turn into an immediate timeout).
 */
export function timerDelayMs(ms: number): number {
  if (Number.isNaN(ms)) return MAX_TIMER_MS;
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}
