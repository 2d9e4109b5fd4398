import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { HeliosError, type Logger, type Queue, type QueueDelivery, type QueueHosts, type QueueMessage, type QueueSubscription } from '@helios-ci/sdk';
import { labelToken, Subjects } from './subjects.js';
import { decode, encode } from './protocol.js';

export interface NatsQueueSettings {
  /** JetStream stream name (one per Helios installation). */
  stream: string;
  subjects: Subjects;
  /** Redelivery after this long without ack or `working()` (a host that froze or died). */
  ackWaitMs: number;
  /** Deliveries of one message before JetStream gives up on it (-1: no limit). */
  maxDeliver: number;
  /** Un-acked messages at once per label consumer, over every host: the cluster-wide job cap. */
  maxAckPending: number;
  /** Publishing the same job attempt again within this window is dropped by the stream. */
  duplicateWindowMs: number;
  /** Delay of `nack()` without one, and after a handler throws: base * 2^redeliveries, capped. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Labels this instance consumes (one durable per label subject, shared by every host); null: one
   * durable over every job subject (only where no label durable exists on the same stream, e.g. tests).
   */
  consumeLabels: readonly string[] | null;
  /** How long one pull waits at the server before asking again. */
  pullExpiresMs: number;
}

interface Wire {
  jobId: string;
  labels: string[];
  attempt?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The sdk Queue on a JetStream work-queue stream. Every host shares one durable pull consumer per
 * label subject (a work queue allows one consumer per subject); each holds at most `capacity`
 * messages, keeps them alive with `working()` until its handler acks, and a message a host dies
 * with comes back after `ackWaitMs` — to any host.
 */
export class NatsQueue implements Queue {
  hosts?: QueueHosts;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private readonly subs = new Set<{ close(): Promise<void> }>();

  constructor(
    private readonly nc: NatsConnection,
    readonly settings: NatsQueueSettings,
    private readonly logger: Logger | null = null,
  ) {}

  get connection(): NatsConnection {
    return this.nc;
  }

  /** Creates the stream (or brings its settings up to date): idempotent, every host may call it. */
  async ensureStream(): Promise<void> {
    this.jsm ??= await jetstreamManager(this.nc);
    this.js ??= jetstream(this.nc);
    const s = this.settings;
    const config = {
      name: s.stream,
      subjects: [s.subjects.allJobs],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(s.duplicateWindowMs),
    };
    try {
      await this.jsm.streams.info(s.stream);
      await this.jsm.streams.update(s.stream, { subjects: config.subjects, duplicate_window: config.duplicate_window });
    } catch (err) {
      if (!isNotFound(err)) throw unreachable(`stream ${s.stream}`, err);
      try {
        await this.jsm.streams.add(config);
      } catch (addErr) {
        throw unreachable(`creating stream ${s.stream}`, addErr);
      }
    }
  }

  /** The durable for one label subject (or every subject): created or updated to the configured limits. */
  private async ensureConsumer(label: string | null): Promise<Consumer> {
    const s = this.settings;
    const durable = label === null ? `${s.stream}_all` : `${s.stream}_${labelToken(label)}`;
    const filter = label === null ? s.subjects.allJobs : s.subjects.job(label);
    const limits = { ack_wait: nanos(s.ackWaitMs), max_deliver: s.maxDeliver, max_ack_pending: s.maxAckPending };
    try {
      await this.jsm!.consumers.info(s.stream, durable);
      await this.jsm!.consumers.update(s.stream, durable, limits);
    } catch (err) {
      if (!isNotFound(err)) throw unreachable(`consumer ${durable}`, err);
      try {
        await this.jsm!.consumers.add(s.stream, { durable_name: durable, filter_subject: filter, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...limits });
      } catch (addErr) {
        // Another host created it at the same moment: fine, it has the same settings.
        if (!/already in use|exists/i.test(String((addErr as Error).message))) throw unreachable(`creating consumer ${durable}`, addErr);
      }
    }
    return this.js!.consumers.get(s.stream, durable);
  }

  async publish(message: Omit<QueueMessage, 'redeliveries'>): Promise<void> {
    if (!message.jobId) throw new HeliosError('E_QUEUE_MESSAGE_INVALID', 'a queue message needs a jobId');
    if (!this.js) await this.ensureStream();
    const wire: Wire = { jobId: message.jobId, labels: [...message.labels], ...(message.attempt !== undefined ? { attempt: message.attempt } : {}) };
    try {
      // msgID: the stream drops a second publish of the same job attempt within its duplicate window.
      await this.js!.publish(this.settings.subjects.job(message.labels[0]), encode(wire), { msgID: `${message.jobId}:${message.attempt ?? 0}` });
    } catch (err) {
      throw unreachable(`publishing job ${message.jobId}`, err);
    }
  }

  async consume(capacity: number, handler: (delivery: QueueDelivery) => Promise<void>): Promise<QueueSubscription> {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new HeliosError('E_QUEUE_CAPACITY_INVALID', `consume() capacity must be a positive integer, got ${capacity}`);
    }
    if (!this.js) await this.ensureStream();
    const labels = this.settings.consumeLabels;
    const consumers = labels === null ? [await this.ensureConsumer(null)] : await Promise.all([...new Set(labels)].map((l) => this.ensureConsumer(l)));
    const sub = new Subscription(consumers, capacity, handler, this.settings, this.logger);
    this.subs.add(sub);
    sub.start();
    return {
      close: async () => {
        this.subs.delete(sub);
        await sub.close();
      },
    };
  }

  /** Closes every subscription (un-acked messages go back at once) and drains the connection. */
  async close(): Promise<void> {
    for (const s of [...this.subs]) await s.close();
    this.subs.clear();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => undefined);
  }
}

/** Pull loops over one or more durables sharing `capacity` slots. */
class Subscription {
  private held = new Map<JsMsg, { timer: NodeJS.Timeout; settled: boolean }>();
  private closed = false;
  private waiters: (() => void)[] = [];
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly consumers: Consumer[],
    private readonly capacity: number,
    private readonly handler: (delivery: QueueDelivery) => Promise<void>,
    private readonly s: NatsQueueSettings,
    private readonly logger: Logger | null,
  ) {}

  start(): void {
    for (const c of this.consumers) this.loops.push(this.pull(c));
  }

  /** Slots taken: held messages plus pulls in progress (a pull may bring one back). */
  private taken = 0;

  private async slot(): Promise<boolean> {
    while (!this.closed && this.taken >= this.capacity) await new Promise<void>((r) => this.waiters.push(r));
    if (this.closed) return false;
    this.taken++;
    return true;
  }

  private release(): void {
    this.taken--;
    this.wakeAll();
  }

  /**
   * One pull request for every free slot at once (a batch), so a burst of jobs is not fetched one
   * round trip at a time; slots the batch did not fill are freed when it expires.
   */
  private async pull(consumer: Consumer): Promise<void> {
    while (!this.closed) {
      if (!(await this.slot())) return;
      let reserved = 1;
      while (this.taken < this.capacity) {
        this.taken++;
        reserved++;
      }
      try {
        const batch = await consumer.fetch({ max_messages: reserved, expires: this.s.pullExpiresMs });
        for await (const msg of batch) {
          if (this.closed) {
            msg.nak();
            continue;
          }
          reserved--;
          if (!this.deliver(msg)) this.release();
          if (reserved === 0) break;
        }
      } catch (err) {
        // NATS restarting, or the consumer at max_ack_pending: ask again shortly.
        if (!this.closed) this.logger?.debug('queue-nats pull failed; retrying', { error: (err as Error).message });
        await sleep(250);
      } finally {
        for (; reserved > 0; reserved--) this.release();
      }
    }
  }

  /** False when the message was not a job (the slot is free again). */
  private deliver(msg: JsMsg): boolean {
    let wire: Wire;
    try {
      wire = decode<Wire>(msg.data);
    } catch {
      // Not ours (someone published garbage on the subject): drop it rather than loop on it.
      this.logger?.warn('queue-nats: dropping a message that is not a Helios job', { subject: msg.subject });
      msg.term();
      return false;
    }
    // working() resets the server's ack timer: the message stays ours while this process lives.
    const timer = setInterval(() => msg.working(), Math.max(100, Math.floor(this.s.ackWaitMs / 3)));
    const state = { timer, settled: false };
    this.held.set(msg, state);
    const redeliveries = msg.info.deliveryCount - 1;
    const message: QueueMessage = { jobId: wire.jobId, labels: wire.labels, redeliveries, ...(wire.attempt !== undefined ? { attempt: wire.attempt } : {}) };
    const settle = (fn: () => void) => {
      if (state.settled) return;
      state.settled = true;
      clearInterval(timer);
      this.held.delete(msg);
      if (!this.closed) fn();
      this.release();
    };
    const delivery: QueueDelivery = {
      message,
      ack: async () => settle(() => msg.ack()),
      nack: async (delayMs?: number) => settle(() => msg.nak(delayMs ?? Math.min(this.s.maxBackoffMs, this.s.baseBackoffMs * 2 ** redeliveries))),
    };
    void this.handler(delivery).catch((err: unknown) => {
      this.logger?.error('queue handler failed', { jobId: message.jobId, error: err });
      void delivery.nack();
    });
    return true;
  }

  private wakeAll(): void {
    const list = this.waiters;
    this.waiters = [];
    for (const w of list) w();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // What this subscription still holds goes back now, to whoever pulls next.
    for (const [msg, state] of this.held) {
      clearInterval(state.timer);
      state.settled = true;
      msg.nak();
    }
    this.held.clear();
    this.wakeAll();
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return /not found/i.test(String(e?.message ?? ''));
}

function unreachable(what: string, err: unknown): HeliosError {
  if (err instanceof HeliosError) return err;
  return new HeliosError('E_QUEUE_UNREACHABLE', `queue-nats: ${what} failed: ${(err as Error).message}; check that nats-server runs with JetStream enabled (-js or a jetstream {} block)`, { cause: err });
}
