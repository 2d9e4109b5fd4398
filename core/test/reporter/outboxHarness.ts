import { createFakeForge, type FakeForge } from '@helios-ci/sdk/testkit';
import type { CheckJob, ForgeCapabilities } from '@helios-ci/sdk';
import { ManualClock } from '../../src/clock/manualClock.js';
import { OutboxWorker, type OutboxWorkerOptions } from '../../src/reporter/outboxWorker.js';
import { Reporter } from '../../src/reporter/reporter.js';
import type { Store } from '../../src/store/store.js';
import { createRun, openTempStore, REPO, runUntil, settle } from '../helpers/storeFixtures.js';

export const PUBLIC_URL = 'https://ci.example.org';

export const checkJobOf = (jobId: string, runId: string, sha = 'abc123'): CheckJob => ({
  jobId,
  runId,
  repo: REPO,
  sha,
  workflowName: 'CI',
  jobName: jobId,
  detailsUrl: `${PUBLIC_URL}/jobs/${jobId}`,
});

/** A store, a fake forge, a reporter and a started worker, all on one ManualClock. */
export function harness(options: { capabilities?: Partial<ForgeCapabilities>; worker?: Partial<OutboxWorkerOptions>; maxForgeAnnotationsPerJob?: number } = {}) {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  const forge = createFakeForge({ id: 'gh', capabilities: options.capabilities, now: () => clock.now() });
  const forges = new Map([[forge.id, forge]]);
  const make = (store: Store) => {
    const worker = new OutboxWorker({ store, forges, publicUrl: PUBLIC_URL, clock, random: () => 0.5, ...options.worker });
    const reporter = new Reporter({ store, forges, worker, ...(options.maxForgeAnnotationsPerJob !== undefined ? { maxForgeAnnotationsPerJob: options.maxForgeAnnotationsPerJob } : {}) });
    worker.start();
    return { worker, reporter };
  };
  const h = {
    clock,
    forge: forge as FakeForge,
    ...make(t.store),
    get store() {
      return t.store;
    },
    /** A run with jobs whose checks are opened (reporter.jobQueued). */
    queueJobs(keys: string[], stepNames = ['Build', 'Test'], sha?: string): string[] {
      const { runId, jobIds } = createRun(t.store, keys, stepNames);
      for (const id of jobIds) h.reporter.jobQueued({ jobId: id, forge: 'gh', checkJob: checkJobOf(id, runId, sha) });
      return jobIds;
    },
    /** Provisioning → running, first step started. */
    startJob(id: string): void {
      t.store.jobs.transition(id, 'provisioning');
      t.store.jobs.transition(id, 'running');
      h.reporter.jobStarted(id);
      t.store.steps.start(id, 1, 'Build');
      h.reporter.stepChanged(id);
    },
    log(id: string, text: string): void {
      t.store.logs.append(id, [{ step: 1, stream: 'stdout', ts: clock.now(), text }]);
      h.reporter.logAppended(id);
    },
    finishJob(id: string, state: 'succeeded' | 'failed' = 'succeeded'): void {
      t.store.steps.finish(id, 1, state === 'succeeded' ? 'success' : 'failure');
      t.store.steps.finish(id, 2, state === 'succeeded' ? 'success' : 'skipped', 'Test');
      t.store.jobs.transition(id, state);
      h.reporter.jobFinished(id);
    },
    async tick(ms: number): Promise<void> {
      h.clock.advance(ms);
      await settle();
    },
    idle: () => h.worker.busy === 0 && t.store.outbox.outstanding() === 0,
    async drain(): Promise<void> {
      await runUntil(clock, h.idle);
    },
    /** Simulates a process restart: a new store connection, worker and reporter on the same file. */
    async restart(): Promise<void> {
      await h.worker.stop();
      const store = t.reopen();
      Object.assign(h, make(store));
    },
    cleanup(): void {
      void h.worker.stop(); // stops pumping at once; hung calls are abandoned with the store
      t.cleanup();
    },
  };
  return h;
}

/** `out N` → N for the last line of an update's text. */
export const lastLineNo = (text: string | undefined): number => Number(/out (\d+)$/.exec(text ?? '')?.[1] ?? NaN);
