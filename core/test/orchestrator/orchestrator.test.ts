// The orchestrator in process: real store (SQLite) and queue, the sdk's fake forge, a recording
// runtime and an agent service stand-in whose jobs end when the test says. Time is a ManualClock,
// so waits (backoff, timeouts) are driven, never slept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError, type EventBus, type Logger, type Machine, type MachineRef, type MachineSize, type MachineSpec, type RepoRef, type Runtime } from '@helios-ci/sdk';
import { createFakeForge, type FakeForge } from '@helios-ci/sdk/testkit';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { InProcessQueue } from '../../src/queue/inProcessQueue.js';
import type { AgentService } from '../../src/agent-service/agentService.js';
import type { JobConclusion } from '../../src/agent-service/types.js';
import { jobPlan, openTempStore, runPlan, runUntil, settle } from '../helpers/storeFixtures.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as Logger;

class RecordingRuntime implements Runtime {
  readonly id = 'rec';
  readonly provisioned: MachineSpec[] = [];
  readonly destroyed: string[] = [];
  constructor(readonly labels: readonly string[], private readonly sizes: Record<string, MachineSize>) {}
  machineSize(label: string): MachineSize {
    const size = this.sizes[label];
    if (!size) throw new HeliosError('E_LABEL_NOT_FOUND', `no size for ${label}`);
    return size;
  }
  async provision(spec: MachineSpec): Promise<Machine> {
    this.provisioned.push(spec);
    return { id: `m-${this.provisioned.length}`, jobId: spec.jobId, label: spec.label };
  }
  async destroy(m: MachineRef): Promise<void> {
    this.destroyed.push(m.id);
  }
  async list(): Promise<MachineRef[]> {
    return [];
  }
}

/** Jobs registered with the "agent service"; `finish(jobId, conclusion)` ends one. */
function fakeAgents() {
  const jobs = new Map<string, { finish(c: JobConclusion): void; cancelled: string | null; spec: unknown }>();
  const service = {
    endpoint: '127.0.0.1:1',
    registerJob(spec: { jobId: string }) {
      let finish!: (c: JobConclusion) => void;
      const done = new Promise<JobConclusion>((r) => (finish = r));
      const entry = { finish, cancelled: null as string | null, spec };
      jobs.set(spec.jobId, entry);
      return {
        jobId: spec.jobId,
        token: 'tok',
        done,
        cancel(reason: string) {
          entry.cancelled ??= reason;
          finish('cancelled');
        },
      };
    },
  };
  return { service: service as unknown as AgentService, jobs };
}

function world(opts: { labels?: Record<string, MachineSize>; forge?: FakeForge; concurrentJobs?: number } = {}) {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  const queue = new InProcessQueue(t.store, { clock });
  const labels = opts.labels ?? { 'ubuntu-24.04': { cpus: 2, memoryMb: 4096 } };
  const runtime = new RecordingRuntime(Object.keys(labels), labels);
  const forge = opts.forge ?? createFakeForge({ id: 'gh', now: () => clock.now() });
  const agents = fakeAgents();
  const events: EventBus = createEventBus(silent);
  const orchestrator = new Orchestrator({
    store: t.store, queue, runtimes: [runtime], forges: [forge], secrets: null, agents: agents.service, reporter: null,
    redactor: new Redactor(), events, logger: silent, concurrentJobs: opts.concurrentJobs ?? 4, publicUrl: 'http://ci.test', clock,
    dispatchRetry: { attempts: 4, baseMs: 1000, maxMs: 8000, random: () => 0.5 },
  });
  const submit = (repo: RepoRef, plan = runPlan([jobPlan('build')]), forgeId: string | null = 'gh') =>
    orchestrator.submitRun({ plan, repo, sha: 'abc123', ref: 'refs/heads/main', forge: forgeId, trusted: true });
  const state = (jobId: string) => t.store.jobs.require(jobId).state;
  const jobsOf = (runId: string) => t.store.jobs.listByRun(runId);
  return { clock, store: t.store, runtime, forge, agents, orchestrator, submit, state, jobsOf, cleanup: () => (void orchestrator.stop(0), t.cleanup()) };
}

const A = { owner: 'acme', name: 'app' };
const B = { owner: 'other', name: 'site' };

function deployPlan(cancelInProgress: boolean) {
  const job = { ...jobPlan('deploy'), concurrency: { group: 'deploy-production', cancelInProgress } };
  return runPlan([job]);
}

test('the machine size comes from the runtime for the job\'s label, not a constant', async () => {
  const w = world({ labels: { 'ubuntu-24.04': { cpus: 8, memoryMb: 16384 }, small: { cpus: 1, memoryMb: 512 } } });
  try {
    await w.orchestrator.start();
    const big = w.submit(A);
    const small = w.submit(A, runPlan([{ ...jobPlan('lint'), runsOn: ['small'] }]));
    await runUntil(w.clock, () => w.runtime.provisioned.length === 2);
    const byJob = new Map(w.runtime.provisioned.map((s) => [s.jobId, s]));
    const bigSpec = byJob.get(w.jobsOf(big.id)[0]!.id)!;
    const smallSpec = byJob.get(w.jobsOf(small.id)[0]!.id)!;
    assert.equal([bigSpec.label, bigSpec.cpus, bigSpec.memoryMb], ['ubuntu-24.04', 8, 16384]);
    assert.equal([smallSpec.label, smallSpec.cpus, smallSpec.memoryMb], ['small', 1, 512]);
  } finally {
    w.cleanup();
  }
});

test('concurrency groups are scoped by repository: repo B\'s deploy-production does not cancel repo A\'s', async () => {
  const w = world();
  try {
    await w.orchestrator.start();
    const a = w.submit(A, deployPlan(true));
    const aJob = w.jobsOf(a.id)[0]!;
    await runUntil(w.clock, () => w.state(aJob.id) === 'running');
    const b = w.submit(B, deployPlan(true));
    const bJob = w.jobsOf(b.id)[0]!;
    // The positive event after the negative: B's job runs beside A's (same group name, other repo).
    await runUntil(w.clock, () => w.state(bJob.id) === 'running');
    assert.is(w.state(aJob.id), 'running', "repo A's job is untouched");
    assert.is(w.agents.jobs.get(aJob.id)!.cancelled, null);
    // The same repository's next run does cancel it (cancel-in-progress).
    const a2 = w.submit(A, deployPlan(true));
    await runUntil(w.clock, () => w.state(aJob.id) === 'cancelled');
    assert.match(w.store.jobs.require(aJob.id).reason!, `superseded by run ${a2.id}`);
    assert.is(w.state(bJob.id), 'running');
  } finally {
    w.cleanup();
  }
});

test('concurrency groups are scoped by forge: the same owner/name on another forge is another group', async () => {
  const gl = createFakeForge({ id: 'other-forge' });
  const w = world();
  try {
    (w.orchestrator as unknown as { o: { forges: unknown[] } }).o.forges.push(gl);
    await w.orchestrator.start();
    const a = w.submit(A, deployPlan(true));
    const aJob = w.jobsOf(a.id)[0]!;
    await runUntil(w.clock, () => w.state(aJob.id) === 'running');
    const other = w.submit(A, deployPlan(true), 'other-forge');
    await runUntil(w.clock, () => w.state(w.jobsOf(other.id)[0]!.id) === 'running');
    assert.is(w.state(aJob.id), 'running');
  } finally {
    w.cleanup();
  }
});

test('a transient forge error at dispatch is retried with backoff on the clock, and the job runs', async () => {
  const w = world();
  try {
    await w.orchestrator.start();
    w.forge.failNext(2, 'error', ['cloneAccess']);
    const run = w.submit(A);
    const job = w.jobsOf(run.id)[0]!;
    await runUntil(w.clock, () => w.state(job.id) === 'running');
    const clones = w.forge.calls.filter((c) => c.method === 'cloneAccess');
    assert.equal(clones.map((c) => c.outcome), ['failed', 'failed', 'ok']);
    // Backoff: 1 s then 2 s base (half fixed, half jitter at 0.5) → 750 ms, 1500 ms apart.
    assert.equal([clones[1]!.at - clones[0]!.at, clones[2]!.at - clones[1]!.at], [750, 1500]);
    const log = w.store.logs.readBackward(job.id, Number.MAX_SAFE_INTEGER, 100).map((l) => l.text).join('\n');
    assert.match(log, 'retrying in 1 s (attempt 1 of 4)');
  } finally {
    w.cleanup();
  }
});

test('a forge error that persists at dispatch errors the job with the forge\'s own reason after the last attempt', async () => {
  const w = world();
  try {
    await w.orchestrator.start();
    w.forge.failNext(10, 'error', ['cloneAccess']);
    const run = w.submit(A);
    const job = w.jobsOf(run.id)[0]!;
    await runUntil(w.clock, () => w.state(job.id) === 'errored');
    assert.is(w.forge.calls.filter((c) => c.method === 'cloneAccess').length, 4);
    assert.match(w.store.jobs.require(job.id).reason!, /after 4 attempts; last error E_FORGE_UNAVAILABLE: fake forge gh: cloneAccess failed with 500/);
    assert.is(w.runtime.provisioned.length, 0, 'no machine was made');
  } finally {
    w.cleanup();
  }
});

test('a permanent forge error at dispatch is not retried', async () => {
  const forge = createFakeForge({ id: 'gh' });
  forge.cloneAccess = async () => {
    throw new HeliosError('E_FORGE_REJECTED', 'repository acme/app is gone', { retryable: false });
  };
  const w = world({ forge });
  try {
    await w.orchestrator.start();
    const job = w.jobsOf(w.submit(A).id)[0]!;
    await runUntil(w.clock, () => w.state(job.id) === 'errored');
    assert.match(w.store.jobs.require(job.id).reason!, 'could not get clone access: E_FORGE_REJECTED: repository acme/app is gone');
  } finally {
    w.cleanup();
  }
});

test('the job timeout runs on the injected clock', async () => {
  const w = world();
  try {
    await w.orchestrator.start();
    const job = w.jobsOf(w.submit(A, runPlan([{ ...jobPlan('slow'), timeoutMinutes: 1 }])).id)[0]!;
    await runUntil(w.clock, () => w.state(job.id) === 'running');
    const started = w.clock.now();
    await runUntil(w.clock, () => w.state(job.id) === 'timed_out');
    assert.ok(w.clock.now() - started >= 60_000, 'not before timeout-minutes');
    assert.is(w.agents.jobs.get(job.id)!.cancelled, 'job timeout');
    await settle();
    assert.equal(w.runtime.destroyed, ['m-1']);
  } finally {
    w.cleanup();
  }
});

// Issue 19: a finished job no longer re-reads the run; these pin what the incremental path must decide.
function matrixThenTest(n: number, failFast = false) {
  const build = Array.from({ length: n }, (_, i) => ({ ...jobPlan('build'), id: `ci.yml#build#${i}`, name: `build (${i})`, matrix: { i }, strategy: { failFast, maxParallel: null } }));
  return runPlan([...build, { ...jobPlan('test'), needs: ['build'] }]);
}

test('a job needing a matrix waits for every instance, gets their results, and the run completes after it', async () => {
  const w = world({ concurrentJobs: 8 });
  try {
    await w.orchestrator.start();
    const run = w.submit(A, matrixThenTest(3));
    const [b0, b1, b2, t] = w.jobsOf(run.id);
    await runUntil(w.clock, () => [b0, b1, b2].every((j) => w.state(j!.id) === 'running'));
    w.agents.jobs.get(b0!.id)!.finish('success');
    w.agents.jobs.get(b1!.id)!.finish('success');
    await runUntil(w.clock, () => w.state(b1!.id) === 'succeeded' && w.state(b0!.id) === 'succeeded');
    await settle();
    assert.is(w.state(t!.id), 'queued', 'not before the last instance');
    assert.not.ok(w.agents.jobs.has(t!.id));
    w.agents.jobs.get(b2!.id)!.finish('success');
    await runUntil(w.clock, () => w.state(t!.id) === 'running');
    assert.equal((w.agents.jobs.get(t!.id)!.spec as { needs: unknown }).needs, { build: { result: 'success', outputs: {} } });
    assert.is(w.store.runs.get(run.id)!.state, 'running');
    w.agents.jobs.get(t!.id)!.finish('success');
    const done = await w.orchestrator.waitForRun(run.id);
    assert.is(done.conclusion, 'success');
  } finally {
    w.cleanup();
  }
});

test('a failed matrix instance skips the job that needs it once the others finish; the run concludes failure', async () => {
  const w = world({ concurrentJobs: 8 });
  try {
    await w.orchestrator.start();
    const run = w.submit(A, matrixThenTest(2));
    const [b0, b1, t] = w.jobsOf(run.id);
    await runUntil(w.clock, () => [b0, b1].every((j) => w.state(j!.id) === 'running'));
    w.agents.jobs.get(b0!.id)!.finish('failure');
    await runUntil(w.clock, () => w.state(b0!.id) === 'failed');
    await settle();
    assert.is(w.state(b1!.id), 'running', 'fail-fast off: the sibling runs on');
    assert.is(w.state(t!.id), 'queued');
    w.agents.jobs.get(b1!.id)!.finish('success');
    const done = await w.orchestrator.waitForRun(run.id);
    assert.is(w.state(t!.id), 'skipped');
    assert.is(done.conclusion, 'failure');
  } finally {
    w.cleanup();
  }
});

test('fail-fast cancels the failed instance\'s running and queued siblings; the dependent is skipped and the run completes', async () => {
  const w = world({ concurrentJobs: 2 });
  try {
    await w.orchestrator.start();
    const run = w.submit(A, matrixThenTest(4, true));
    const [b0, b1, b2, b3, t] = w.jobsOf(run.id);
    await runUntil(w.clock, () => [b0, b1].every((j) => w.state(j!.id) === 'running'));
    assert.is(w.state(b2!.id), 'queued');
    w.agents.jobs.get(b0!.id)!.finish('failure');
    const done = await w.orchestrator.waitForRun(run.id);
    assert.equal([b0, b1, b2, b3, t].map((j) => w.state(j!.id)), ['failed', 'cancelled', 'cancelled', 'cancelled', 'skipped']);
    assert.is(w.agents.jobs.get(b1!.id)!.cancelled, `fail-fast: ${b0!.id} failed`);
    assert.is(done.conclusion, 'failure');
  } finally {
    w.cleanup();
  }
});

test('cancelRun cancels queued and running jobs alike and completes the run once', async () => {
  const w = world({ concurrentJobs: 2 });
  try {
    await w.orchestrator.start();
    const run = w.submit(A, matrixThenTest(5));
    await runUntil(w.clock, () => w.jobsOf(run.id).filter((j) => j.state === 'running').length === 2);
    let finished = 0;
    w.orchestrator.waitForRun(run.id).then(() => finished++);
    w.orchestrator.cancelRun(run.id, 'stop');
    const done = await w.orchestrator.waitForRun(run.id);
    await settle();
    assert.ok(w.jobsOf(run.id).every((j) => j.state === 'cancelled' || j.state === 'skipped'), JSON.stringify(w.jobsOf(run.id).map((j) => j.state)));
    assert.is(done.conclusion, 'cancelled');
    assert.is(finished, 1);
  } finally {
    w.cleanup();
  }
});

test.run();
