/**
 * The server's cumulative acknowledgement as the agent sees it: the highest acked seq (stale or
 * repeated acks are ignored) and the waiters for a given seq (finish() waits for Finished's ack).
 */
export class AckTracker {
  private ackedSeq = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];

  get acked(): number {
    return this.ackedSeq;
  }

  /** Records an ack; false when it acknowledges nothing new. Resolves the waiters it covers. */
  advance(seq: number): boolean {
    if (seq <= this.ackedSeq) return false;
    this.ackedSeq = seq;
    if (this.waiters.length) {
      const ready = this.waiters.filter((w) => w.seq <= seq);
      this.waiters = this.waiters.filter((w) => w.seq > seq);
      for (const w of ready) w.resolve();
    }
    return true;
  }

  /** Calls `resolve` once `seq` is acknowledged (at once if it already is). */
  whenAcked(seq: number, resolve: () => void): void {
    if (this.ackedSeq >= seq) resolve();
    else this.waiters.push({ seq, resolve });
  }
}
