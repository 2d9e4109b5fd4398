/**
 * Flow control between an agent's stream and a job sink: messages are handled one at a time, in
 * order; once MAX_QUEUED_MESSAGES wait for a busy sink, the HTTP/2 stream stops being read (its
 * window then fills and the agent's writes block). Pausing on every message instead would stall
 * each one for a window update, halving log throughput. Between messages the loop budget
 * (loopBudget.ts) may defer the next one to a later turn of the event loop.
 */
import { turn } from './loopBudget.js';

/** Messages (each ≤ maxMessageBytes) read ahead of a busy sink before reading stops. */
export const MAX_QUEUED_MESSAGES = 4;

export interface PausableStream {
  pause(): void;
  resume(): void;
}

export class ReadAhead<T> {
  private readonly queue: T[] = [];
  private pumping = false;
  private paused = false;

  /**
   * @param handle processes one message; a rejection drops the rest and goes to `fail`
   * @param closed true once the session is closed (a closed stream is not resumed)
   */
  constructor(
    private readonly stream: PausableStream,
    private readonly handle: (msg: T) => Promise<void>,
    private readonly fail: (err: unknown) => void,
    private readonly closed: () => boolean,
  ) {}

  push(msg: T): void {
    this.queue.push(msg);
    if (this.queue.length >= MAX_QUEUED_MESSAGES && !this.paused) {
      this.paused = true;
      this.stream.pause();
    }
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const wait = turn();
        if (wait) await wait;
        await this.handle(this.queue.shift()!);
      }
    } catch (err) {
      this.queue.length = 0;
      this.fail(err);
      return;
    } finally {
      this.pumping = false;
    }
    if (this.paused && !this.closed()) {
      this.paused = false;
      this.stream.resume();
    }
  }
}
