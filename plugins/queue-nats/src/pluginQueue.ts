import type { NatsConnection } from '@nats-io/transport-node';
import { HeliosError, type DispatcherHostOptions, type Logger, type Queue, type QueueDelivery, type QueueHosts, type QueueMessage, type QueueSubscription, type RemoteDispatcher, type WorkerHandle, type WorkerOptions } from '@helios-ci/sdk';
import { connectNats, type NatsConnectionConfig } from './connection.js';
import { NatsQueue, type NatsQueueSettings } from './natsQueue.js';
import { NatsDispatcher, type DispatcherOptions } from './natsDispatcher.js';
import { NatsWorker, type WorkerTimings } from './natsWorker.js';

/** limits.agentLostSeconds' default, for a kernel that does not pass its own. */
const DEFAULT_HOST_LOST_MS = 60_000;

export interface PluginQueueOptions {
  instance: string;
  connection: NatsConnectionConfig;
  settings: NatsQueueSettings;
  dispatcher: Omit<DispatcherOptions, 'id' | 'hostLostMs'>;
  worker: WorkerTimings;
  logger: Logger;
}

/**
 * The plugin's Queue value: built without connecting (so `helios config check` needs no NATS),
 * connected by the plugin's start hook. It carries `hosts` for control (`dispatcher`) and for
 * `helios worker` (`worker`).
 */
export class PluginQueue implements Queue, QueueHosts {
  readonly hosts: QueueHosts = this;
  private nc: NatsConnection | null = null;
  private queue: NatsQueue | null = null;
  private readonly closers: (() => Promise<void>)[] = [];
  private readonly dispatchers: NatsDispatcher[] = [];

  constructor(private readonly o: PluginQueueOptions) {}

  async start(): Promise<void> {
    this.nc = await connectNats(this.o.connection);
    this.queue = new NatsQueue(this.nc, this.o.settings, this.o.logger);
    await this.queue.ensureStream();
    for (const d of this.dispatchers) d.attach(this.queue, this.nc);
    this.o.logger.info('connected to NATS', { servers: this.o.connection.servers, stream: this.o.settings.stream });
  }

  private require(): { nc: NatsConnection; queue: NatsQueue } {
    if (!this.nc || !this.queue) throw new HeliosError('E_KERNEL_STATE', `queue-nats ${this.o.instance}: used before the plugin started`);
    return { nc: this.nc, queue: this.queue };
  }

  publish(message: Omit<QueueMessage, 'redeliveries'>): Promise<void> {
    return this.require().queue.publish(message);
  }

  consume(capacity: number, handler: (delivery: QueueDelivery) => Promise<void>): Promise<QueueSubscription> {
    return this.require().queue.consume(capacity, handler);
  }

  dispatcher(logger: Logger, options: DispatcherHostOptions = {}): RemoteDispatcher | null {
    if (this.o.dispatcher.labels.length === 0) return null;
    const d = new NatsDispatcher(this.o.settings.subjects, { id: this.o.instance, ...this.o.dispatcher, hostLostMs: options.hostLostMs ?? DEFAULT_HOST_LOST_MS }, logger);
    this.dispatchers.push(d);
    if (this.nc && this.queue) d.attach(this.queue, this.nc);
    this.closers.push(() => d.close());
    return d;
  }

  async worker(options: WorkerOptions): Promise<WorkerHandle> {
    const { nc } = this.require();
    const labels = [...new Set(options.runtimes.flatMap((r) => r.labels))];
    const queue = new NatsQueue(nc, { ...this.o.settings, consumeLabels: labels }, options.logger);
    const worker = new NatsWorker(queue, nc, this.o.settings.subjects, options, this.o.worker);
    await worker.start();
    this.closers.push(() => worker.stop());
    return worker;
  }

  async stop(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch(() => undefined);
    await this.queue?.close();
  }
}
