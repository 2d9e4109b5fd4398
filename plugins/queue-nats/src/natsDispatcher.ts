import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { HeliosError, type Logger, type Machine, type MachineRef, type EgressConnectionReport, type MachineEgress, type MachineSize, type MachineSpec, type RemoteDispatcher } from '@helios-ci/sdk';
import type { NatsQueue } from './natsQueue.js';
import { decode, encode, type ClaimReply, type ClaimRequest, type DestroyReply, type DestroyRequest, type MachineEvent, type StatusReply, type StatusRequest } from './protocol.js';
import type { Subjects } from './subjects.js';
import { WorkerLiveness } from './workerLiveness.js';

export interface DispatcherOptions {
  id: string;
  labels: readonly string[];
  machineSizes: { default?: MachineSize; labels?: Readonly<Record<string, MachineSize>> };
  retryLostHost: number;
  /** host:port workers' machines reach control's agent service at (default: the endpoint control binds). */
  agentEndpoint?: string;
  /** A job no worker claims in this long fails to provision (E_NO_WORKER). */
  queueTimeoutMs: number;
  /** How long control waits for a worker to destroy a machine. */
  destroyTimeoutMs: number;
  /**
   * A worker that took a job and has not been heard from this long, before the job's agent
   * connected, is lost (control's limits.agentLostSeconds: the bound a silent agent gets).
   */
  hostLostMs: number;
}

/** One job attempt control has handed to the queue: who claimed it, its machine, its console. */
interface Dispatch {
  /** Null for a machine re-adopted after a control restart (it was provisioned by the previous control). */
  spec: MachineSpec | null;
  attempt: number;
  worker: string | null;
  /** When the worker claimed it: its silence is counted from then at the earliest. */
  claimedAt: number;
  /** The job's agent said Hello (or the machine was re-adopted): from then on its heartbeats tell whether the host lives. */
  agentUp: boolean;
  /** Its worker went silent before the agent connected; the attempt is over for control. */
  lost: boolean;
  /** The worker reported the machine (provisioned event or status poll). */
  machineReported: boolean;
  ended: boolean;
  resolve(machine: Machine): void;
  reject(err: Error): void;
  console: string[];
  consoleWaiters: (() => void)[];
  /** Where the worker proxy's reports of this job's connections go (MachineSpec.egress.report). */
  egressReport: ((c: EgressConnectionReport) => void) | null;
}

const DEFAULT_SIZE: MachineSize = { cpus: 2, memoryMb: 4096 };

/**
 * Control's Runtime for labels workers serve: `provision` publishes the job attempt to the stream and
 * resolves when a worker reports the machine; the first worker to claim an attempt owns it (every
 * later claim is refused, so a redelivered message never starts the job twice); `destroy` asks the
 * owning worker to tear down. Machine ids are `<worker>:<attempt>:<worker's machine id>`.
 */
export class NatsDispatcher implements RemoteDispatcher {
  readonly id: string;
  readonly labels: readonly string[];
  readonly retryLostHost: number;
  readonly agentEndpoint?: string;
  private readonly dispatches = new Map<string, Dispatch>();
  private readonly attempts = new Map<string, number>();
  private readonly subs: Subscription[] = [];
  private closed = false;
  /** Control's start-up reconciliation is over: a status poll about an unknown job gets "not wanted". */
  private settled = false;
  private queue: NatsQueue | null = null;
  private nc: NatsConnection | null = null;
  private readonly liveness = new WorkerLiveness();
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    private readonly subjects: Subjects,
    private readonly o: DispatcherOptions,
    private readonly logger: Logger,
  ) {
    this.id = o.id;
    this.labels = o.labels;
    this.retryLostHost = o.retryLostHost;
    if (o.agentEndpoint !== undefined) this.agentEndpoint = o.agentEndpoint;
  }

  /** Built with the kernel's values, connected when the plugin starts: then it answers workers. */
  attach(queue: NatsQueue, nc: NatsConnection): void {
    this.queue = queue;
    this.nc = nc;
    const subjects = this.subjects;
    const on = (subject: string, fn: (data: Uint8Array, respond: (reply: unknown) => void) => void) =>
      this.subs.push(
        nc.subscribe(subject, {
          callback: (err, msg) => {
            if (err) return;
            try {
              fn(msg.data, (reply) => msg.respond(encode(reply)));
            } catch (e) {
              this.logger.warn('queue-nats: bad message from a worker', { subject, error: e });
            }
          },
        }),
      );
    on(subjects.claim, (data, respond) => respond(this.claim(decode<ClaimRequest>(data))));
    on(subjects.status, (data, respond) => {
      const reply = this.status(decode<StatusRequest>(data));
      // Before reconciliation, silence: the worker keeps its machine as while control is down.
      if (reply) respond(reply);
    });
    on(subjects.events, (data) => this.onEvent(decode<MachineEvent>(data)));
    void this.followConnection(nc);
    const tick = Math.max(20, Math.min(1000, Math.floor(this.o.hostLostMs / 5)));
    this.watchdog = setInterval(() => this.checkWorkers(), tick);
    this.watchdog.unref();
  }

  private async followConnection(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.liveness.disconnected();
        else if (s.type === 'reconnect') this.liveness.reconnected();
      }
    } catch {
      /* the connection closed */
    }
  }

  /**
   * A worker that took a job attempt and went silent (no status poll, claim or event) for hostLostMs
   * before the job's agent connected is lost with its host: nothing else would notice it until the
   * agent's connect timeout. Once the agent is up, its own heartbeats judge the host.
   */
  private checkWorkers(): void {
    for (const [jobId, d] of this.dispatches) {
      if (d.ended || d.lost || d.agentUp || d.worker === null || !d.spec) continue;
      const silent = this.liveness.silentMs(d.worker, d.claimedAt);
      if (silent > this.o.hostLostMs) this.lose(jobId, d, silent);
    }
  }

  private lose(jobId: string, d: Dispatch, silentMs: number): void {
    d.lost = true;
    d.ended = true;
    const phase = d.machineReported ? 'after its machine started, before the job\'s agent connected' : 'while it was making the job\'s machine';
    const reason = `worker ${d.worker} was lost ${phase}: nothing heard from it for ${(silentMs / 1000).toFixed(1)} s (limits.agentLostSeconds ${this.o.hostLostMs / 1000} s); it destroys the job's machine when it comes back`;
    this.logger.warn('a worker holding a job went silent; the job attempt is lost', { jobId, attempt: d.attempt, worker: d.worker, silentMs });
    try {
      // First: the orchestrator marks the job lost (and its agent token dead) before provision rejects.
      d.spec?.onHostLost?.(reason);
    } catch (err) {
      this.logger.warn('onHostLost failed', { jobId, error: err });
    }
    d.reject(new HeliosError('E_HOST_LOST', reason));
    this.wakeConsole(d);
    // No machine reported means no destroy will come for it; the worker's polls then get "not wanted".
    if (!d.machineReported) this.dispatches.delete(jobId);
  }

  private connected(): { queue: NatsQueue; nc: NatsConnection } {
    if (!this.queue || !this.nc) throw new HeliosError('E_KERNEL_STATE', `queue-nats ${this.id}: the dispatcher is not connected yet (the plugin has not started)`);
    return { queue: this.queue, nc: this.nc };
  }

  machineSize(label: string): MachineSize {
    if (!this.labels.includes(label)) throw new HeliosError('E_LABEL_NOT_FOUND', `queue-nats ${this.id}: workers do not serve label ${JSON.stringify(label)}; the config's labels are ${this.labels.join(', ')}`);
    return { ...(this.o.machineSizes.labels?.[label] ?? this.o.machineSizes.default ?? DEFAULT_SIZE) };
  }

  async provision(spec: MachineSpec): Promise<Machine> {
    if (this.closed) throw new HeliosError('E_UNAVAILABLE', `queue-nats ${this.id}: the dispatcher is stopped`);
    const attempt = (this.attempts.get(spec.jobId) ?? 0) + 1;
    this.attempts.set(spec.jobId, attempt);
    const machine = new Promise<Machine>((resolve, reject) => {
      this.dispatches.set(spec.jobId, { spec, attempt, worker: null, claimedAt: 0, agentUp: false, lost: false, machineReported: false, ended: false, resolve, reject, console: [], consoleWaiters: [], egressReport: spec.egress?.report ?? null });
    });
    void spec.agentConnected?.then(() => {
      const d = this.dispatches.get(spec.jobId);
      if (d && d.attempt === attempt) d.agentUp = true;
    });
    await this.publishRetrying({ jobId: spec.jobId, labels: [spec.label], attempt });
    this.logger.debug('job published for the workers', { jobId: spec.jobId, attempt, label: spec.label });
    const timer = setTimeout(() => {
      const d = this.dispatches.get(spec.jobId);
      if (d && d.attempt === attempt && d.worker === null) {
        d.ended = true;
        d.reject(new HeliosError('E_NO_WORKER', `no worker took the job within ${Math.round(this.o.queueTimeoutMs / 60_000)} min; start a helios worker serving label ${JSON.stringify(spec.label)} (or raise queueTimeoutMinutes)`));
      }
    }, this.o.queueTimeoutMs);
    try {
      return await machine;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * NATS may be restarting: the publish is retried (the same msgID, so the stream keeps one copy)
   * for up to a minute before the job fails to provision.
   */
  private async publishRetrying(message: { jobId: string; labels: string[]; attempt: number }): Promise<void> {
    const until = Date.now() + 60_000;
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        await this.connected().queue.publish(message);
        return;
      } catch (err) {
        if (Date.now() + delay > until || this.closed) throw err;
        this.logger.warn('publishing a job failed; retrying', { jobId: message.jobId, attempt: message.attempt, error: (err as Error).message });
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private claim(r: ClaimRequest): ClaimReply {
    this.liveness.heard(r.worker);
    const d = this.dispatches.get(r.jobId);
    if (!d || d.attempt !== r.attempt || d.ended) return { ok: false, reason: 'this job attempt is no longer wanted' };
    if (d.worker !== null || !d.spec) return { ok: false, reason: `worker ${d.worker} already started this job attempt` };
    d.worker = r.worker;
    d.claimedAt = Date.now();
    this.logger.info('job claimed by a worker', { jobId: r.jobId, attempt: r.attempt, worker: r.worker });
    const { label, cpus, memoryMb, agent, egress, actionsRuntime, sourceDir, trusted } = d.spec;
    // The report callback stays here; proxy and grant travel (the grant holds no secret, only its hash).
    const travelling = egress ? { proxy: egress.proxy, ...(egress.grant ? { grant: egress.grant } : {}) } : null;
    return { ok: true, spec: { label, cpus, memoryMb, agent: { endpoint: this.agentEndpoint ?? agent.endpoint, token: agent.token }, ...(travelling ? { egress: travelling } : {}), ...(actionsRuntime ? { actionsRuntime } : {}), ...(sourceDir ? { sourceDir } : {}), ...(trusted !== undefined ? { trusted } : {}) } };
  }

  private status(r: StatusRequest): StatusReply | null {
    this.liveness.heard(r.worker);
    const d = this.dispatches.get(r.jobId);
    if (!d && !this.settled) return null;
    const wanted = !!d && d.attempt === r.attempt && d.worker === r.worker && !d.ended;
    // The provisioned event may have been lost in a NATS outage; the poll carries the machine again.
    if (wanted && r.machineId && r.label) {
      d.machineReported = true;
      d.resolve({ id: `${r.worker}:${r.attempt}:${r.machineId}`, jobId: r.jobId, label: r.label });
    }
    return { wanted };
  }

  private onEvent(e: MachineEvent): void {
    this.liveness.heard(e.worker);
    const d = this.dispatches.get(e.jobId);
    // A late worker's events (an attempt it lost, or one control gave up as lost) never touch the job.
    if (!d || d.attempt !== e.attempt || d.worker !== e.worker || d.lost) return;
    switch (e.type) {
      case 'provisioned':
        d.machineReported = true;
        d.resolve({ id: `${e.worker}:${e.attempt}:${e.machineId}`, jobId: e.jobId, label: e.label });
        break;
      case 'provision_failed':
        d.ended = true;
        d.reject(new HeliosError('E_PROVISION_FAILED', `worker ${e.worker}: ${e.error}`));
        this.wakeConsole(d);
        break;
      case 'milestone':
        try {
          d.spec?.onMilestone?.(e.milestone);
        } catch {
          /* a milestone is informational */
        }
        break;
      case 'console':
        d.console.push(...e.lines);
        this.wakeConsole(d);
        break;
      case 'destroyed':
        d.ended = true;
        this.wakeConsole(d);
        break;
      case 'egress':
        try {
          d.egressReport?.(e.connection);
        } catch (err) {
          this.logger.warn('an egress report of a worker could not be written', { jobId: e.jobId, error: err });
        }
        break;
    }
  }

  private wakeConsole(d: Dispatch): void {
    const w = d.consoleWaiters;
    d.consoleWaiters = [];
    for (const f of w) f();
  }

  async destroy(ref: MachineRef): Promise<void> {
    const m = /^([^:]+):(\d+):(.+)$/.exec(ref.id);
    if (!m || !ref.jobId) throw new HeliosError('E_MACHINE_ID_INVALID', `queue-nats: ${JSON.stringify(ref.id)} is not a worker machine id (<worker>:<attempt>:<machine>)`);
    const [, worker, attemptText, machineId] = m;
    const attempt = Number(attemptText);
    const d = this.dispatches.get(ref.jobId);
    if (d && d.attempt === attempt) {
      d.ended = true;
      this.wakeConsole(d);
      if (d.lost) {
        // Nobody would answer in time: the worker tears it down when it is heard again (its status
        // poll gets "not wanted") or when it starts again (leftovers are destroyed).
        this.dispatches.delete(ref.jobId);
        this.logger.info('machine of a lost worker left to that worker', { jobId: ref.jobId, attempt, worker });
        return;
      }
    }
    const request: DestroyRequest = { jobId: ref.jobId, attempt, machineId: machineId! };
    let reply: DestroyReply;
    try {
      reply = decode<DestroyReply>((await this.connected().nc.request(this.subjects.destroy(worker!), encode(request), { timeout: this.o.destroyTimeoutMs })).data);
    } catch (err) {
      throw new HeliosError('E_WORKER_UNREACHABLE', `queue-nats: worker ${worker} did not destroy machine ${machineId} (${(err as Error).message}); it destroys its leftovers when it starts again`, { cause: err });
    } finally {
      if (d && this.dispatches.get(ref.jobId) === d) this.dispatches.delete(ref.jobId);
    }
    if (!reply.ok) throw new HeliosError('E_PROVISION_FAILED', `worker ${worker}: destroying machine ${machineId} failed: ${reply.error ?? 'unknown error'}`);
  }

  /**
   * A machine the previous control process had a worker make (control restarted under it): the
   * worker's status polls get "wanted" again and `destroy` reaches it. A retry is attempt n+1.
   */
  adopt(machine: Machine, options: { egress?: MachineEgress } = {}): void {
    const m = /^([^:]+):(\d+):(.+)$/.exec(machine.id);
    if (!m || !machine.jobId) throw new HeliosError('E_MACHINE_ID_INVALID', `queue-nats: ${JSON.stringify(machine.id)} is not a worker machine id (<worker>:<attempt>:<machine>)`);
    const attempt = Number(m[2]);
    this.attempts.set(machine.jobId, Math.max(attempt, this.attempts.get(machine.jobId) ?? 0));
    this.dispatches.set(machine.jobId, { spec: null, attempt, worker: m[1]!, claimedAt: Date.now(), agentUp: true, lost: false, machineReported: true, ended: false, resolve: () => undefined, reject: () => undefined, console: [], consoleWaiters: [], egressReport: options.egress?.report ?? null });
    this.logger.info('machine re-adopted after a control restart', { jobId: machine.jobId, attempt, worker: m[1] });
  }

  reconciled(): void {
    this.settled = true;
  }

  /** Workers reconcile their own machines; control has none of its own to list. */
  async list(): Promise<MachineRef[]> {
    return [];
  }

  async *console(ref: MachineRef): AsyncIterable<string> {
    const d = ref.jobId ? this.dispatches.get(ref.jobId) : undefined;
    if (!d) return;
    let i = 0;
    for (;;) {
      while (i < d.console.length) yield d.console[i++]!;
      if (d.ended || this.closed) return;
      await new Promise<void>((r) => d.consoleWaiters.push(r));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const s of this.subs) s.unsubscribe();
    for (const d of this.dispatches.values()) {
      d.ended = true;
      this.wakeConsole(d);
    }
  }
}
