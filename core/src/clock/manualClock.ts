import type { Clock } from './clock.js';

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in time order during `advance`/`runNext`,
 * so a test can simulate an hour-long forge outage in a few milliseconds.
 */
export class ManualClock implements Clock {
  private time: number;
  private timers: Timer[] = [];
  private order = 0;

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the next timer is due, or null when none is set. */
  nextTimerAt(): number | null {
    return this.timers.length === 0 ? null : Math.min(...this.timers.map((t) => t.at));
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const next = this.popDue(target);
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.fn();
    }
    this.time = Math.max(this.time, target);
  }

  /** Jumps to the next timer and fires it (and any others due at the same instant). False if none. */
  runNext(): boolean {
    const at = this.nextTimerAt();
    if (at === null) return false;
    this.advanceTo(at);
    return true;
  }

  private popDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) {
      if (t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.order < best.order))) best = t;
    }
    if (best) this.timers = this.timers.filter((t) => t !== best);
    return best;
  }
}
