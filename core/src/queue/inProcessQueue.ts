import type { Queue, QueueDelivery, QueueMessage, QueueSubscription } from '@helios-ci/sdk';
import { HeliosError } from '@helios-ci/sdk';
import { systemClock, type Clock } from '../clock/clock.js';
import type { Store } from '../store/store.js';

export interface InProcessQueueOptions {
  /** Delay of a `nack()` without an explicit delay: `min(maxBackoffMs, baseBackoffMs * 2^redeliveries)`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Default: the store's clock. */
  clock?: Clock;
  /** Called when a handler throws (the message is nacked). */
  onHandlerError?: (err: unknown, message: QueueMessage) => void;
}

interface Consumer {
  capacity: number;
  handler: (delivery: QueueDelivery) => Promise<void>;
  /** jobId → delivery token of un-acked deliveries this consumer holds. */
  held: Map<string, number>;
  closed: boolean;
}

/**
 * The default Queue: messages live in the store's queue_messages table, so queued jobs survive a
 * restart. One instance per store (it is the process's queue): creating one releases deliveries a
 * previous process left un-acked, which are then redelivered with `redeliveries` incremented.
 */
export class InProcessQueue implements Queue {
  private readonly consumers = new Set<Consumer>();
  private readonly clock: Clock;
  private readonly baseBackoffMs: number;
  private readonly maxBackoffMs: number;
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;
  private pumping = false;
  private pumpAgain = false;

  constructor(
    private readonly store: Store,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.clock = options.clock ?? store.clock ?? systemClock;
    this.baseBackoffMs = options.baseBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    store.queue.releaseDelivered();
  }

  async publish(message: Omit<QueueMessage, 'redeliveries'>): Promise<void> {
    if (!message.jobId) throw new HeliosError('E_QUEUE_MESSAGE_INVALID', 'a queue message needs a jobId');
    if (this.store.queue.publish(message.jobId, [...message.labels])) this.pump();
  }

  async consume(capacity: number, handler: (delivery: QueueDelivery) => Promise<void>): Promise<QueueSubscription> {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new HeliosError('E_QUEUE_CAPACITY_INVALID', `consume() capacity must be a positive integer, got ${capacity}`);
    }
    const consumer: Consumer = { capacity, handler, held: new Map(), closed: false };
    this.consumers.add(consumer);
    this.pump();
    return {
      close: async () => {
        if (consumer.closed) return;
        consumer.closed = true;
        this.consumers.delete(consumer);
        // What this consumer still holds goes back to the queue now; its late ack/nack become no-ops.
        for (const [jobId, token] of consumer.held) this.store.queue.nack(jobId, token, 0);
        consumer.held.clear();
        this.pump();
      },
    };
  }

  /** Stops timers and consumers (in-flight messages stay un-acked in the store). */
  async close(): Promise<void> {
    for (const c of this.consumers) c.closed = true;
    this.consumers.clear();
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Hands ready messages to consumers with free capacity, then arms a timer for delayed ones. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (const consumer of this.consumers) {
          while (!consumer.closed && consumer.held.size < consumer.capacity) {
            const row = this.store.queue.claim();
            if (!row) break;
            this.deliver(consumer, { jobId: row.jobId, labels: row.labels, redeliveries: row.redeliveries }, row.token);
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    this.armTimer();
  }

  private deliver(consumer: Consumer, message: QueueMessage, token: number): void {
    consumer.held.set(message.jobId, token);
    let settled = false;
    const settle = (fn: () => boolean) => {
      if (settled) return;
      settled = true;
      if (consumer.held.get(message.jobId) === token) consumer.held.delete(message.jobId);
      fn();
      this.pump();
    };
    const delivery: QueueDelivery = {
      message,
      ack: async () => settle(() => this.store.queue.ack(message.jobId, token)),
      nack: async (delayMs?: number) => settle(() => this.store.queue.nack(message.jobId, token, delayMs ?? this.backoff(message.redeliveries))),
    };
    // The handler runs after the current pump, so a synchronous ack inside it cannot re-enter it.
    queueMicrotask(() => {
      consumer.handler(delivery).catch((err: unknown) => {
        this.options.onHandlerError?.(err, message);
        void delivery.nack();
      });
    });
  }

  private backoff(redeliveries: number): number {
    return Math.min(this.maxBackoffMs, this.baseBackoffMs * 2 ** redeliveries);
  }

  private armTimer(): void {
    if (this.consumers.size === 0) return;
    const next = this.store.queue.nextAvailableAt();
    if (next === null || next >= this.timerAt) return;
    // A message can fall due between pump()'s last claim and this check (a slow machine, a short
    // backoff): with a consumer free to take it, it arms a timer of 0 rather than none (it used to be
    // left undelivered). With every consumer full, the next ack or nack pumps anyway.
    const due = next <= this.clock.now();
    if (due && ![...this.consumers].some((c) => !c.closed && c.held.size < c.capacity)) return;
    this.cancelTimer?.();
    this.timerAt = next;
    this.cancelTimer = this.clock.setTimer(Math.max(0, next - this.clock.now()), () => {
      this.cancelTimer = null;
      this.timerAt = Infinity;
      this.pump();
    });
  }
}
