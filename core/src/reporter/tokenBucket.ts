/**
 * A token bucket sized so that no 60-second window ever holds more than `perMinute` requests:
 * a burst of `capacity` plus a refill of `perMinute - capacity` per minute. (A bucket that refills
 * at the full rate on top of a burst would allow burst + perMinute in the first minute — over
 * GitHub's 80 content-creating requests per minute.)
 */
export class TokenBucket {
  readonly capacity: number;
  private readonly refillPerMs: number;
  private tokens: number;
  private last: number;
  private pausedUntil = -Infinity;

  constructor(perMinute: number, now: number) {
    const rpm = Math.max(1, perMinute);
    this.capacity = Math.max(1, Math.floor(rpm / 10));
    this.refillPerMs = (rpm > this.capacity ? rpm - this.capacity : rpm) / 60_000;
    this.tokens = this.capacity;
    this.last = now;
  }

  /** Takes a token and returns 0, or returns how many ms until one is available (nothing taken). */
  take(now: number): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.refillPerMs);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - this.tokens) / this.refillPerMs);
  }

  /** The forge said "slow down" (429 / Retry-After): nothing goes out before `until`. */
  pauseUntil(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }
}
