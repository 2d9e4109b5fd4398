import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger, Machine, QueueDelivery, QueueSubscription, Runtime, WorkerHandle, WorkerOptions } from '@helios-ci/sdk';
import type { NatsQueue } from './natsQueue.js';
import { decode, encode, type ClaimedSpec, type ClaimReply, type ClaimRequest, type DestroyReply, type DestroyRequest, type MachineEvent, type StatusReply, type StatusRequest } from './protocol.js';
import { checkWorkerId, type Subjects } from './subjects.js';

export interface WorkerTimings {
  /** How long a claim waits for control before the message goes back (control down). */
  claimTimeoutMs: number;
  /** How often the worker asks control whether its running jobs are still wanted. */
  statusIntervalMs: number;
}

/** One job attempt this worker runs. */
interface Held {
  jobId: string;
  attempt: number;
  machine: Machine | null;
  /** Resolves when control says the job ended (destroy request, or status: not wanted). */
  endRequested: Promise<void>;
  requestEnd(): void;
  /** Resolves once the machine is gone. */
  gone: Promise<void>;
  markGone(): void;
}

/**
 * `helios worker`'s loop: pulls job attempts for its runtimes' labels (up to its capacity), claims
 * each from control (the first claim wins, so a redelivered message never starts a job twice),
 * provisions the machine with control's agent endpoint, reports machine events, and tears the machine
 * down when control says the job ended; the message is acked last, so a worker dying mid-job gives it
 * back to the queue.
 */
export class NatsWorker implements WorkerHandle {
  private readonly held = new Map<string, Held>();
  private subscription: QueueSubscription | null = null;
  private destroySub: Subscription | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly workerId: string;
  private readonly logger: Logger;

  constructor(
    private readonly queue: NatsQueue,
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly o: WorkerOptions,
    private readonly timings: WorkerTimings,
  ) {
    this.workerId = checkWorkerId(o.workerId);
    this.logger = o.logger;
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.destroySub = this.nc.subscribe(this.subjects.destroy(this.workerId), {
      callback: (err, msg) => {
        if (err) return;
        void this.onDestroy(decode<DestroyRequest>(msg.data)).then((reply) => msg.respond(encode(reply)));
      },
    });
    this.statusTimer = setInterval(() => void this.checkStatus(), this.timings.statusIntervalMs);
    this.subscription = await this.queue.consume(this.o.capacity, (d) => this.handle(d));
    this.logger.info('worker pulling jobs', { worker: this.workerId, capacity: this.o.capacity, labels: [...new Set(this.o.runtimes.flatMap((r) => r.labels))] });
  }

  /** Every machine the runtimes still have is a leftover of a previous life of this worker. */
  private async reconcile(): Promise<void> {
    for (const runtime of this.o.runtimes) {
      let machines;
      try {
        machines = await runtime.list();
      } catch (err) {
        this.logger.error('runtime list failed during reconciliation', { runtime: runtime.id, error: err });
        continue;
      }
      for (const m of machines) {
        this.logger.warn('destroying a machine left by a previous run of this worker', { runtime: runtime.id, machine: m.id, jobId: m.jobId });
        await runtime.destroy(m).catch((err) => this.logger.error('destroying a leftover machine failed', { machine: m.id, error: err }));
      }
    }
  }

  private event(e: MachineEvent): void {
    try {
      this.nc.publish(this.subjects.events, encode(e));
    } catch (err) {
      this.logger.warn('machine event not sent', { jobId: e.jobId, type: e.type, error: err });
    }
  }

  private async handle(d: QueueDelivery): Promise<void> {
    const { jobId, labels } = d.message;
    const attempt = d.message.attempt ?? 1;
    const runtime = this.o.runtimes.find((r) => labels.length > 0 && labels.every((l) => r.labels.includes(l)));
    if (!runtime || this.stopped) {
      // Only reached when another label of the job is not served here: leave it to a host that serves all.
      await d.nack(5000);
      return;
    }
    let reply: ClaimReply;
    try {
      const request: ClaimRequest = { jobId, attempt, worker: this.workerId };
      reply = decode<ClaimReply>((await this.nc.request(this.subjects.claim, encode(request), { timeout: this.timings.claimTimeoutMs })).data);
    } catch (err) {
      this.logger.warn('control did not answer a claim; the job goes back to the queue', { jobId, attempt, error: (err as Error).message });
      await d.nack(2000);
      return;
    }
    if (!reply.ok) {
      // Someone else runs this attempt, or it ended: drop the message without touching the job.
      this.logger.info('job attempt not ours; dropping the message', { jobId, attempt, reason: reply.reason });
      await d.ack();
      return;
    }
    let requestEnd!: () => void;
    let markGone!: () => void;
    const held: Held = {
      jobId,
      attempt,
      machine: null,
      endRequested: new Promise<void>((r) => (requestEnd = r)),
      requestEnd: () => requestEnd(),
      gone: new Promise<void>((r) => (markGone = r)),
      markGone: () => markGone(),
    };
    this.held.set(jobId, held);
    let revokeEgress = (): void => undefined;
    try {
      const spec = reply.spec;
      const egress = this.egressFor(spec, jobId, attempt);
      if (egress) revokeEgress = egress.revoke;
      try {
        held.machine = await runtime.provision({
          jobId,
          ...(spec.sourceDir ? { sourceDir: spec.sourceDir } : {}),
          label: spec.label,
          cpus: spec.cpus,
          memoryMb: spec.memoryMb,
          volumes: [],
          agent: spec.agent,
          ...(egress ? { egress: { proxy: egress.proxy } } : {}),
          ...(spec.actionsRuntime ? { actionsRuntime: spec.actionsRuntime } : {}),
          ...(spec.trusted !== undefined ? { trusted: spec.trusted } : {}),
          onMilestone: (milestone) => this.event({ type: 'milestone', jobId, attempt, worker: this.workerId, milestone }),
        });
      } catch (err) {
        this.logger.error('provisioning failed', { jobId, attempt, error: err });
        this.event({ type: 'provision_failed', jobId, attempt, worker: this.workerId, error: (err as Error).message });
        return;
      }
      this.event({ type: 'provisioned', jobId, attempt, worker: this.workerId, machineId: held.machine.id, label: held.machine.label });
      if (runtime.console) void this.pumpConsole(runtime, held);
      await held.endRequested;
      await this.destroy(runtime, held);
    } finally {
      revokeEgress();
      held.markGone();
      if (this.held.get(jobId) === held) this.held.delete(jobId);
      // Last: until now a death of this worker gives the job back to the queue.
      await d.ack();
    }
  }

  /**
   * The proxy the job's machine is given: this worker's own when control sent a grant (admitted here
   * until the job ends, its connections reported to control), else control's.
   */
  private egressFor(spec: ClaimedSpec, jobId: string, attempt: number): { proxy: string; revoke: () => void } | null {
    if (!spec.egress) return null;
    if (!spec.egress.grant || !this.o.egress) return { proxy: spec.egress.proxy, revoke: () => undefined };
    try {
      const revoke = this.o.egress.admit(spec.egress.grant, (connection) => this.event({ type: 'egress', jobId, attempt, worker: this.workerId, connection }));
      return { proxy: this.o.egress.endpoint, revoke };
    } catch (err) {
      this.logger.warn("control's egress grant was not accepted here; the job uses control's proxy", { jobId, attempt, error: err });
      return { proxy: spec.egress.proxy, revoke: () => undefined };
    }
  }

  private async destroy(runtime: Runtime, held: Held): Promise<void> {
    if (!held.machine) return;
    try {
      await runtime.destroy(held.machine);
      this.event({ type: 'destroyed', jobId: held.jobId, attempt: held.attempt, worker: this.workerId, machineId: held.machine.id });
    } catch (err) {
      // The next start's reconciliation destroys it.
      this.logger.error('machine destroy failed', { jobId: held.jobId, machine: held.machine.id, error: err });
    }
  }

  private async pumpConsole(runtime: Runtime, held: Held): Promise<void> {
    try {
      let batch: string[] = [];
      for await (const line of runtime.console!(held.machine!)) {
        batch.push(line);
        if (batch.length >= 100) {
          this.event({ type: 'console', jobId: held.jobId, attempt: held.attempt, worker: this.workerId, lines: batch });
          batch = [];
        }
      }
      if (batch.length) this.event({ type: 'console', jobId: held.jobId, attempt: held.attempt, worker: this.workerId, lines: batch });
    } catch (err) {
      this.logger.debug('console stream ended', { jobId: held.jobId, error: err });
    }
  }

  private async onDestroy(r: DestroyRequest): Promise<DestroyReply> {
    const held = this.held.get(r.jobId);
    // Nothing of that attempt here (already destroyed, or reconciled away): destroyed is destroyed.
    if (!held || held.attempt !== r.attempt) return { ok: true };
    held.requestEnd();
    await held.gone;
    return { ok: true };
  }

  /** Control forgot a job (it restarted, a destroy request was lost, or it gave this worker up as lost): tear it down. */
  private async checkStatus(): Promise<void> {
    // Every held job, also one whose machine is still being made: these polls are how control knows
    // this worker lives before the job's agent connects.
    for (const held of [...this.held.values()]) {
      try {
        const machine = held.machine ? { machineId: held.machine.id, label: held.machine.label } : {};
        const request: StatusRequest = { jobId: held.jobId, attempt: held.attempt, worker: this.workerId, ...machine };
        const reply = decode<StatusReply>((await this.nc.request(this.subjects.status, encode(request), { timeout: this.timings.claimTimeoutMs })).data);
        if (!reply.wanted) {
          this.logger.warn('control no longer runs this job; destroying its machine', { jobId: held.jobId, attempt: held.attempt });
          held.requestEnd();
        }
      } catch {
        // Control unreachable: keep running; the agent talks to control directly.
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    // Machines go first, then the subscription gives un-acked messages back.
    for (const held of this.held.values()) held.requestEnd();
    await Promise.all([...this.held.values()].map((h) => h.gone));
    await this.subscription?.close();
    this.destroySub?.unsubscribe();
  }
}
