/**
 * Sequencing and the resend buffer: every job-state message gets the next seq (1, 2, 3, …) and is
 * kept until the server's cumulative Ack covers it. After a dropped stream, pending() is what the
 * server has not processed — resent in order once Welcome.ackedSeq released the rest.
 */
export interface Pending<M> {
  seq: number;
  msg: M & { seq: number };
  /** Counted against the unacknowledged-bytes limit. */
  bytes: number;
}

export class ResendBuffer<M extends object> {
  private lastSeq = 0;
  private readonly unacked: Pending<M>[] = [];
  private unackedBytes = 0;

  /** Numbers `body` with the next seq and keeps it until acknowledged. */
  add(body: M, bytes: number): Pending<M> {
    const seq = ++this.lastSeq;
    const pending: Pending<M> = { seq, msg: { ...body, seq }, bytes };
    this.unacked.push(pending);
    this.unackedBytes += bytes;
    return pending;
  }

  /** Drops every message with seq ≤ `ackedSeq` (the server has processed them). */
  release(ackedSeq: number): void {
    while (this.unacked.length > 0 && this.unacked[0]!.seq <= ackedSeq) {
      this.unackedBytes -= this.unacked.shift()!.bytes;
    }
  }

  /** The unacknowledged messages, oldest first. */
  pending(): readonly Pending<M>[] {
    return this.unacked;
  }

  get bytes(): number {
    return this.unackedBytes;
  }
}
