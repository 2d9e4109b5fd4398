/**
 * Acks only free the agent's resend buffer, so they are coalesced: at once for Finished (the agent
 * waits for it) and every ACK_EVERY delivered messages, else ACK_DELAY_MS after the first unacked
 * one. Two acks fewer per step is measurable on jobs of many short steps.
 */
export const ACK_EVERY = 16;
export const ACK_DELAY_MS = 20;

export class AckCoalescer {
  /** Highest seq acknowledged on this session. */
  private ackedUpTo = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param deliveredSeq the highest seq delivered so far (read when the ack goes out)
   * @param write sends `Ack{seq}`; returns false when the session is closed (nothing sent)
   */
  constructor(
    private readonly deliveredSeq: () => number,
    private readonly write: (seq: number) => boolean,
  ) {}

  /** Message `seq` reached the sink; `urgent` (Finished) acks it at once. */
  delivered(seq: number, urgent: boolean): void {
    if (urgent || seq - this.ackedUpTo >= ACK_EVERY) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), ACK_DELAY_MS);
  }

  /** Sends the cumulative ack now if anything is unacknowledged. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const seq = this.deliveredSeq();
    if (seq <= this.ackedUpTo) return;
    if (this.write(seq)) this.ackedUpTo = seq;
  }
}
