import type { Logger } from '../logger.js';
import type { Machine, Runtime } from './runtime.js';
import type { MachineEgress, WorkerEgress } from './egress.js';

/** A unit of work on the queue: a job id plus enough routing data to choose a consumer. */
export interface QueueMessage {
  jobId: string;
  /**
   * Which start of the job this is (1, 2, ... when a job lost with its host is started again); absent
   * for queues used in one process. Publishing is idempotent per jobId + attempt.
   */
  attempt?: number;
  /** runs-on labels; a consumer only takes what its runtimes serve. */
  labels: string[];
  /** How many times it was delivered before (0 on first delivery). */
  redeliveries: number;
}

export interface QueueDelivery {
  message: QueueMessage;
  /** Done: never deliver again. */
  ack(): Promise<void>;
  /** Not done: deliver again after `delayMs` (default: the queue's backoff). */
  nack(delayMs?: number): Promise<void>;
}

export interface QueueSubscription {
  /** Stop receiving; in-flight deliveries stay un-acked and are redelivered later. */
  close(): Promise<void>;
}

/** The work queue between planning and the orchestrators (in-process, or NATS JetStream). */
export interface Queue {
  /** Idempotent per jobId: publishing the same job twice delivers it once. */
  publish(message: Omit<QueueMessage, 'redeliveries'>): Promise<void>;
  /** At most `capacity` un-acked deliveries at once are handed to `handler`. */
  consume(capacity: number, handler: (delivery: QueueDelivery) => Promise<void>): Promise<QueueSubscription>;
  /**
   * Present on queues that carry jobs to other hosts (queue-nats): `helios serve` (control) runs the
   * jobs of `dispatcher().labels` through it, `helios worker` runs `worker()`.
   */
  readonly hosts?: QueueHosts;
}

/** Control's side: a Runtime whose machines are made by workers on other hosts. */
export interface RemoteDispatcher extends Runtime {
  /**
   * How many times a job whose host (and so its agent) was lost is started again on another host
   * before it ends errored (config retryLostHost).
   */
  readonly retryLostHost: number;
  /** The agent endpoint workers' machines are given, when it differs from the one control binds. */
  readonly agentEndpoint?: string;
  /**
   * Control restarted while a host ran this machine (control kept its id): the dispatcher owns it
   * again, so the host's "still wanted?" polls say yes and `destroy` reaches the host. `egress.report`
   * receives the host proxy's reports of the job's connections from then on.
   */
  adopt?(machine: Machine, options?: { egress?: MachineEgress }): void;
  /**
   * Control's start-up reconciliation is over (every machine it still wants was adopted): from now
   * on a host asking about a machine control does not know is told to tear it down. Until then such
   * questions go unanswered (the host keeps the machine, as while control is down).
   */
  reconciled?(): void;
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Stable name of this worker (its machines and subjects carry it). */
  workerId: string;
  /** The runtimes whose labels this worker serves. */
  runtimes: readonly Runtime[];
  /** Jobs this worker runs at once. */
  capacity: number;
  logger: Logger;
  /** This worker's egress proxy: jobs whose claim carries a grant use it instead of control's. */
  egress?: WorkerEgress;
}

export interface WorkerHandle {
  /** Stops pulling; jobs still running go back to the queue (their machines are destroyed). */
  stop(): Promise<void>;
}

/** What control tells its dispatcher runtime. */
export interface DispatcherHostOptions {
  /**
   * A host that took a job and has not been heard from this long, while the job's agent has not
   * connected yet, is lost (`MachineSpec.onHostLost`): control's limits.agentLostSeconds, the bound
   * an agent's missing heartbeats get.
   */
  hostLostMs?: number;
}

export interface QueueHosts {
  /** Control: the dispatcher runtime (null when this config names no labels for workers). */
  dispatcher(logger: Logger, options?: DispatcherHostOptions): RemoteDispatcher | null;
  /** Worker: reconciles leftovers, then pulls jobs for the runtimes' labels up to `capacity`. */
  worker(options: WorkerOptions): Promise<WorkerHandle>;
}
