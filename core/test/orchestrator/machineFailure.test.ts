// A runtime learns of the agent's Hello (MachineSpec.agentConnected) and can fail its machine after
// provision (MachineSpec.onFailed): the job ends errored with the reason in its log. A destroy that
// throws is counted on /metrics (helios_machine_teardown_incomplete_total{runtime}).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EventBus, Logger, Machine, MachineRef, MachineSize, MachineSpec, Runtime } from '@helios-ci/sdk';
import { createFakeForge } from '@helios-ci/sdk/testkit';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { Orchestrator } from '../../src/orchestrator/orchestrator.js';
import { HeliosMetrics } from '../../src/http/metrics/heliosMetrics.js';
import { InProcessQueue } from '../../src/queue/inProcessQueue.js';
import type { AgentService } from '../../src/agent-service/agentService.js';
import type { JobConclusion, JobSink } from '../../src/agent-service/types.js';
import { jobPlan, openTempStore, runPlan, runUntil, settle } from '../helpers/storeFixtures.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as Logger;

class FailingRuntime implements Runtime {
  readonly id = 'vm';
  readonly labels = ['vm'];
  specs: MachineSpec[] = [];
  hellos = 0;
  machineSize(): MachineSize {
    return { cpus: 1, memoryMb: 512 };
  }
  async provision(spec: MachineSpec): Promise<Machine> {
    this.specs.push(spec);
    void spec.agentConnected?.then(() => this.hellos++);
    return { id: `vm-${this.specs.length}`, jobId: spec.jobId, label: spec.label };
  }
  async destroy(m: MachineRef): Promise<void> {
    throw Object.assign(new Error(`teardown of ${m.id} left a disk`), { code: 'E_TEST_TEARDOWN' });
  }
  async list(): Promise<MachineRef[]> {
    return [];
  }
}

test('onFailed errors the job with the reason in its log; agentConnected resolves at Hello; a failed destroy is counted', async () => {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  const runtime = new FailingRuntime();
  const sinks = new Map<string, JobSink>();
  const finishers = new Map<string, (c: JobConclusion) => void>();
  const agents = {
    endpoint: '127.0.0.1:1',
    registerJob(spec: { jobId: string }, sink: JobSink) {
      sinks.set(spec.jobId, sink);
      const done = new Promise<JobConclusion>((r) => finishers.set(spec.jobId, r));
      return { jobId: spec.jobId, token: 'tok-secret', done, cancel: () => finishers.get(spec.jobId)!('cancelled') };
    },
  } as unknown as AgentService;
  const events: EventBus = createEventBus(silent);
  const metrics = new HeliosMetrics({ store: t.store, events, agentSessions: () => 0 });
  const orchestrator = new Orchestrator({
    store: t.store, queue: new InProcessQueue(t.store, { clock }), runtimes: [runtime], forges: [createFakeForge({ id: 'gh', now: () => clock.now() })], secrets: null, agents, reporter: null,
    redactor: new Redactor(), events, logger: silent, concurrentJobs: 2, publicUrl: 'http://ci.test', clock,
  });
  try {
    await orchestrator.start();
    const run = orchestrator.submitRun({ plan: runPlan([{ ...jobPlan('a'), runsOn: ['vm'] }, { ...jobPlan('b'), runsOn: ['vm'] }]), repo: { owner: 'acme', name: 'app' }, sha: 'abc', ref: 'refs/heads/main', forge: 'gh', trusted: true });
    const [a, b] = t.store.jobs.listByRun(run.id);
    await runUntil(clock, () => [a!, b!].every((j) => t.store.jobs.require(j.id).state === 'running'));
    const specOf = (id: string) => runtime.specs.find((s) => s.jobId === id)!;

    // a: the machine fails before any Hello.
    specOf(a!.id).onFailed!(Object.assign(new Error('zone did not start in time\n--- zone.log ---\nboot says tok-secret'), { code: 'E_VM_BOOT_TIMEOUT' }));
    await runUntil(clock, () => t.store.jobs.require(a!.id).state === 'errored');
    const errored = t.store.jobs.require(a!.id);
    assert.is(errored.reason, 'machine failed: zone did not start in time');
    const log = t.store.logs.read(a!.id).map((l) => l.text).join('\n');
    assert.match(log, 'Helios: the machine failed: zone did not start in time\n--- zone.log ---');
    assert.not.match(log, 'tok-secret', 'masked like the console');

    // b: Hello resolves agentConnected; a later onFailed after the job ended is ignored.
    sinks.get(b!.id)!.onConnected!();
    await settle();
    assert.is(runtime.hellos, 1);
    finishers.get(b!.id)!('success');
    await runUntil(clock, () => t.store.jobs.require(b!.id).state === 'succeeded');
    specOf(b!.id).onFailed!(new Error('too late'));
    await settle();
    assert.is(t.store.jobs.require(b!.id).state, 'succeeded');
    assert.not.match(t.store.logs.read(b!.id).map((l) => l.text).join('\n'), 'too late');

    await runUntil(clock, () => /helios_machine_teardown_incomplete_total\{runtime="vm"\} 2/.test(metrics.render()));
  } finally {
    metrics.close();
    await orchestrator.stop(0);
    t.cleanup();
  }
});

test.run();
