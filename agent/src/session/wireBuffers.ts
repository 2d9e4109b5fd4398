/**
 * Memory for encoded log messages, reused instead of allocated per batch. Every large Buffer the
 * agent frees counts towards V8's external memory, and that churn (the step's pipe reads, each
 * encoded batch, grpc-js's frame of it) is what starts the agent's full garbage collections; the
 * encoded batch is the one copy whose lifetime the agent knows.
 *
 * When a buffer is free again: grpc-js serializes a message when its stream's turn comes, and its
 * call's filter stack frames it (the compression filter copies it behind the 5-byte header) before
 * the layers below see it; only those call the write back (the retrying layer, which keeps the framed
 * copy, may do so before sending). So the buffer returns to the pool from the write callback
 * (test/wireBuffers.test.ts poisons released buffers against the real grpc-js). A dropped call may
 * never call back, or call back late: `reset()` (on every new call) starts a new generation, and a
 * callback from an older one returns nothing — its buffer is left to the garbage collector.
 */

/** Messages smaller than this are allocated as before (Node pools the small ones itself). */
export const POOLED_MIN_BYTES = 16 * 1024;
/** Free buffers kept: writes go one at a time, so two cover the message in flight and the next. */
const MAX_FREE = 2;

export class WireBuffers {
  private free: Buffer[] = [];
  private generation = 0;
  private readonly lent = new WeakMap<object, { buf: Buffer; generation: number }>();

  /** A buffer of exactly `size` bytes for the message `owner`, lent until release(owner). */
  take(size: number, owner: object): Buffer {
    if (size < POOLED_MIN_BYTES) return Buffer.allocUnsafe(size);
    const i = this.free.findIndex((b) => b.length >= size);
    // Sized with room to spare, so the next, slightly larger batch fits too.
    const buf = i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(size + (size >> 3));
    this.lent.set(owner, { buf, generation: this.generation });
    return buf.subarray(0, size);
  }

  /** The write that carried `owner` was called back: its buffer may be reused. */
  release(owner: object): void {
    const loan = this.lent.get(owner);
    if (!loan) return;
    this.lent.delete(owner);
    if (loan.generation !== this.generation || this.free.length >= MAX_FREE) return;
    this.free.push(loan.buf);
  }

  /** A new call: buffers lent to earlier calls never come back. */
  reset(): void {
    this.generation++;
    this.free = [];
  }
}
