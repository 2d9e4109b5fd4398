// A runtime's console and boot milestones reach the job: console lines go to the log as their own
// stream (live until the agent's Hello, stored throughout, masked), and t0–t3 are stored, shown in
// the job view and observed by the /metrics histogram.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventBus, Logger, Machine, MachineRef, MachineSize, MachineSpec, Runtime } from '@helios-ci/sdk';
import { createFakeForge } from '@helios-ci/sdk/testkit';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { viewJobRecord } from '../../src/orchestrator/runView.js';
import { HeliosMetrics } from '../../src/http/metrics/heliosMetrics.js';
import { InProcessQueue } from '../../src/queue/inProcessQueue.js';
import type { AgentService } from '../../src/agent-service/agentService.js';
import type { JobConclusion, JobSink } from '../../src/agent-service/types.js';
import { jobPlan, openTempStore, runPlan, runUntil, settle } from '../helpers/storeFixtures.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as Logger;

/** A VM-like runtime: reports milestones and hands out a console the test writes to. */
class ConsoleRuntime implements Runtime {
  readonly id = 'vm';
  readonly labels = ['vm'];
  spec: MachineSpec | null = null;
  private queued: string[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  machineSize(): MachineSize {
    return { cpus: 1, memoryMb: 512 };
  }
  async provision(spec: MachineSpec): Promise<Machine> {
    this.spec = spec;
    spec.onMilestone?.('booted');
    return { id: 'vm-1', jobId: spec.jobId, label: spec.label };
  }
  write(line: string): void {
    if (this.queued.length === 0 && line) this.spec?.onMilestone?.('console');
    this.queued.push(line);
    this.wake?.();
  }
  async destroy(_m: MachineRef): Promise<void> {
    this.ended = true;
    this.wake?.();
  }
  async list(): Promise<MachineRef[]> {
    return [];
  }
  async *console(): AsyncIterable<string> {
    for (;;) {
      while (this.queued.length) yield this.queued.shift()!;
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

test('console lines and machine timings reach the job', async () => {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  const runtime = new ConsoleRuntime();
  const sinks = new Map<string, JobSink>();
  const finishers = new Map<string, (c: JobConclusion) => void>();
  const agents = {
    endpoint: '127.0.0.1:1',
    registerJob(spec: { jobId: string }, sink: JobSink) {
      sinks.set(spec.jobId, sink);
      const done = new Promise<JobConclusion>((r) => finishers.set(spec.jobId, r));
      return { jobId: spec.jobId, token: 'tok-one-job-secret', done, cancel: () => finishers.get(spec.jobId)!('cancelled') };
    },
  } as unknown as AgentService;
  const events: EventBus = createEventBus(silent);
  const live: string[] = [];
  events.on('job.log', (e) => live.push(...e.lines));
  const metrics = new HeliosMetrics({ store: t.store, events, agentSessions: () => 0 });
  const orchestrator = new Orchestrator({
    store: t.store, queue: new InProcessQueue(t.store, { clock }), runtimes: [runtime], forges: [createFakeForge({ id: 'gh', now: () => clock.now() })], secrets: null, agents, reporter: null,
    redactor: new Redactor(), events, logger: silent, concurrentJobs: 2, publicUrl: 'http://ci.test', clock,
  });
  try {
    await orchestrator.start();
    const run = orchestrator.submitRun({ plan: runPlan([{ ...jobPlan('build'), runsOn: ['vm'] }]), repo: { owner: 'acme', name: 'app' }, sha: 'abc', ref: 'refs/heads/main', forge: 'gh', trusted: true });
    const job = t.store.jobs.listByRun(run.id)[0]!;
    await runUntil(clock, () => t.store.jobs.require(job.id).state === 'running');
    runtime.write('UEFI firmware starting');
    runtime.write('bootstrap token is tok-one-job-secret');
    await settle();
    sinks.get(job.id)!.onConnected!();
    runtime.write('after hello: cloud-init finished');
    await settle();
    finishers.get(job.id)!('success');
    await runUntil(clock, () => t.store.jobs.require(job.id).state === 'succeeded');
    await settle();

    const consoleLines = t.store.logs.read(job.id).filter((l) => l.stream === 'console').map((l) => l.text);
    assert.equal(consoleLines, ['UEFI firmware starting', 'bootstrap token is ***', 'after hello: cloud-init finished']);
    assert.ok(live.includes('UEFI firmware starting'), 'console shown live before Hello');
    assert.not.ok(live.includes('after hello: cloud-init finished'), 'after Hello the console stays in the full log only');
    assert.not.ok(live.some((l) => l.includes('tok-one-job-secret')));

    const timings = t.store.jobTimings.get(job.id)!;
    assert.ok(timings.bootedAt !== null && timings.consoleAt !== null && timings.helloAt !== null, JSON.stringify(timings));
    assert.ok(timings.cloneAt <= timings.bootedAt! && timings.bootedAt! <= timings.consoleAt! && timings.consoleAt! <= timings.helloAt!);
    const view = viewJobRecord(t.store, job.id)!;
    assert.ok(view.machineStart && view.machineStart.helloMs !== null && view.machineStart.helloMs >= 0, JSON.stringify(view.machineStart));
    const text = metrics.render();
    for (const m of ['booted', 'console', 'hello']) assert.match(text, `helios_machine_start_seconds_count{milestone="${m}"} 1`);
  } finally {
    metrics.close();
    await orchestrator.stop(0);
    t.cleanup();
  }
});

test('a job that never provisioned has no machineStart in its view', () => {
  const t = openTempStore();
  try {
    assert.is(t.store.jobTimings.get('nope'), null);
  } finally {
    t.cleanup();
  }
});

test.run();
