import type { Logger, MachineRef, Runtime } from '@helios-ci/sdk';
import type { JobRecord, Store } from '../store/index.js';

export interface ReconcileOptions {
  store: Store;
  runtimes: readonly Runtime[];
  logger: Logger;
  /** Re-queue jobs that were running instead of marking them errored. */
  requeueOnRestart: boolean;
  /** Ends a job as errored (with its events), as the orchestrator does. */
  errorJob(job: JobRecord, reason: string): void;
  /** Takes up a job another host still runs (true), or says it cannot (false: it is errored). */
  adopt(job: JobRecord): boolean;
  /** Queues what is ready and completes finished runs. */
  advance(runId: string): Promise<void>;
  /** A leftover machine's destroy failed (counted in /metrics). */
  teardownFailed?(runtime: Runtime, machine: MachineRef, err: unknown): void;
}

/**
 * After a crash, before any job is taken: every machine a runtime still has is destroyed (no job
 * is live yet; runtimes of other hosts list none), jobs running on other hosts that control can
 * re-adopt are taken up again (`adopt`), other jobs that were provisioning or running are errored
 * (or re-queued) with a line in their log, and every open run is advanced, which re-publishes ready jobs and completes runs.
 * Warm volumes and heads are reconciled right after, by reconcileWarm (warmVolumes.ts): a storage
 * pass here must leave `warm-head` ids that store.warmHeads names alone (they are live heads).
 */
export async function reconcile(o: ReconcileOptions): Promise<void> {
  for (const runtime of o.runtimes) {
    let machines;
    try {
      machines = await runtime.list();
    } catch (err) {
      o.logger.error('runtime list failed during reconciliation', { runtime: runtime.id, error: err });
      continue;
    }
    for (const m of machines) {
      o.logger.warn('destroying a machine left by a previous run of Helios', { runtime: runtime.id, machine: m.id, jobId: m.jobId });
      await runtime.destroy(m).catch((err) => {
        o.logger.error('destroying a leftover machine failed', { machine: m.id, error: err });
        o.teardownFailed?.(runtime, m, err);
      });
    }
  }
  for (const job of o.store.jobs.listByState('provisioning', 'running')) {
    if (o.adopt(job)) continue;
    o.store.logs.append(job.id, [{ step: 0, stream: 'system', ts: Date.now(), text: 'Helios restarted while this job was running; its machine was destroyed' }]);
    if (o.requeueOnRestart) o.store.jobs.transition(job.id, 'queued', { reason: 're-queued after a restart' });
    else o.errorJob(job, 'Helios restarted while the job was running');
  }
  const open = new Set(o.store.jobs.listByState('queued').map((j) => j.runId));
  for (const run of o.store.runs.list({ limit: 1000 })) if (run.state === 'running') open.add(run.id);
  for (const runId of open) await o.advance(runId);
}
