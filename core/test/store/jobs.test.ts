import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type JobState } from '@helios-ci/sdk';
import { canTransition } from '../../src/store/jobStateMachine.js';
import { isTerminalJobState } from '../../src/store/index.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createRun, jobPlan, openTempStore, REPO, runPlan } from '../helpers/storeFixtures.js';

const ALL: JobState[] = ['queued', 'provisioning', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];
const FINAL: JobState[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];

function expectJobState(fn: () => unknown): void {
  try {
    fn();
    assert.unreachable('an illegal transition was accepted');
  } catch (err) {
    assert.ok(isHeliosError(err), String(err));
    assert.is(err.code, 'E_JOB_STATE');
  }
}

// Invariants of the state machine, stated independently of its table (not a copy of it).
test('final states are terminal: nothing leaves them, and they are exactly the states isTerminalJobState names', () => {
  for (const from of ALL) {
    const exits = ALL.filter((to) => canTransition(from, to));
    assert.is(exits.length === 0, FINAL.includes(from), `${from}: exits ${exits.join(', ')}`);
    assert.is(isTerminalJobState(from), FINAL.includes(from), from);
  }
});

test('no state moves to itself; a job must be provisioned before it runs and run before it succeeds', () => {
  for (const s of ALL) assert.not.ok(canTransition(s, s), `${s} → ${s}`);
  assert.not.ok(canTransition('queued', 'running'));
  assert.not.ok(canTransition('queued', 'succeeded'));
  assert.not.ok(canTransition('provisioning', 'succeeded'), 'success needs the agent to have run');
  assert.not.ok(canTransition('provisioning', 'skipped'), 'only a job that never started is skipped');
  assert.not.ok(canTransition('running', 'skipped'));
});

test('every unfinished job can always be cancelled or errored (crash recovery, cancel button), and everything is reachable from queued', () => {
  for (const s of ALL.filter((x) => !FINAL.includes(x))) {
    assert.ok(canTransition(s, 'cancelled'), `${s} → cancelled`);
    assert.ok(canTransition(s, 'errored'), `${s} → errored`);
  }
  const seen = new Set<JobState>(['queued']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const from of [...seen]) for (const to of ALL) if (canTransition(from, to) && !seen.has(to)) (seen.add(to), (grew = true));
  }
  assert.equal([...seen].sort(), [...ALL].sort());
});

test('a running or provisioning job may be re-queued (restart with requeueOnRestart); the happy path is legal step by step', () => {
  assert.ok(canTransition('running', 'queued'));
  assert.ok(canTransition('provisioning', 'queued'));
  const path: JobState[] = ['queued', 'provisioning', 'running', 'succeeded'];
  for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
});

test('the happy path records timestamps; a run and its jobs are created together', () => {
  const clock = new ManualClock(1_000_000);
  const t = openTempStore({ clock });
  try {
    const { runId, jobIds } = createRun(t.store, ['build', 'test']);
    assert.equal(t.store.jobs.listByRun(runId).map((j) => j.state), ['queued', 'queued']);
    const id = jobIds[0]!;
    clock.advance(10);
    assert.is(t.store.jobs.transition(id, 'provisioning').provisioningAt, 1_000_010);
    clock.advance(10);
    assert.is(t.store.jobs.transition(id, 'running').startedAt, 1_000_020);
    clock.advance(10);
    const done = t.store.jobs.transition(id, 'succeeded', { outputs: { version: '1.2.3' }, reason: 'all steps passed' });
    assert.is(done.finishedAt, 1_000_030);
    assert.equal(done.outputs, { version: '1.2.3' });
    assert.is(done.reason, 'all steps passed');
    assert.is(done.plan.steps.length, 2);
    assert.equal(t.store.jobs.listByState('succeeded').map((j) => j.id), [id]);
  } finally {
    t.cleanup();
  }
});

test('every illegal transition throws E_JOB_STATE and changes nothing', () => {
  const t = openTempStore();
  try {
    // Put one job in each state, then try every illegal move from it.
    const paths: Record<JobState, JobState[]> = {
      queued: [],
      provisioning: ['provisioning'],
      running: ['provisioning', 'running'],
      succeeded: ['provisioning', 'running', 'succeeded'],
      failed: ['provisioning', 'running', 'failed'],
      cancelled: ['cancelled'],
      timed_out: ['provisioning', 'timed_out'],
      errored: ['errored'],
      skipped: ['skipped'],
    };
    for (const from of ALL) {
      const { jobIds } = createRun(t.store, [`job-${from}`]);
      const id = jobIds[0]!;
      for (const step of paths[from]) t.store.jobs.transition(id, step);
      const before = t.store.jobs.get(id)!;
      assert.is(before.state, from);
      for (const to of ALL.filter((s) => !canTransition(from, s))) {
        expectJobState(() => t.store.jobs.transition(id, to));
        assert.equal(t.store.jobs.get(id), before, `${from} → ${to} changed the job`);
      }
    }
  } finally {
    t.cleanup();
  }
});

test('an unknown job is E_JOB_NOT_FOUND', () => {
  const t = openTempStore();
  try {
    try {
      t.store.jobs.transition('nope', 'running');
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_JOB_NOT_FOUND');
    }
  } finally {
    t.cleanup();
  }
});

test('re-queueing a running job increments the attempt and clears its steps; the log stays', () => {
  const t = openTempStore();
  try {
    const id = createRun(t.store, ['build']).jobIds[0]!;
    t.store.jobs.transition(id, 'provisioning');
    t.store.jobs.transition(id, 'running');
    t.store.steps.start(id, 1, 'Build');
    t.store.logs.append(id, [{ step: 1, stream: 'stdout', ts: 1, text: 'first attempt' }]);
    const again = t.store.jobs.transition(id, 'queued', { reason: 'orchestrator restarted' });
    assert.is(again.attempt, 2);
    assert.is(again.startedAt, null);
    assert.is(again.reason, 'orchestrator restarted');
    assert.equal(t.store.steps.list(id), []);
    assert.is(t.store.logs.lastSeq(id), 1);
  } finally {
    t.cleanup();
  }
});

test('steps: declare, start, finish; a step starts once and finishes once', () => {
  const clock = new ManualClock(5000);
  const t = openTempStore({ clock });
  try {
    const id = createRun(t.store, ['build']).jobIds[0]!;
    t.store.steps.declare(id, ['Checkout', 'Build', 'Test']);
    assert.equal(t.store.steps.list(id).map((s) => s.state), ['pending', 'pending', 'pending']);
    t.store.steps.start(id, 1, 'Checkout');
    clock.advance(1500);
    const done = t.store.steps.finish(id, 1, 'success');
    assert.equal([done.state, done.conclusion, done.finishedAt! - done.startedAt!], ['completed', 'success', 1500]);
    t.store.steps.finish(id, 3, 'skipped');
    for (const bad of [() => t.store.steps.start(id, 1, 'Checkout'), () => t.store.steps.finish(id, 1, 'failure'), () => t.store.steps.finish(id, 9, 'failure')]) {
      try {
        bad();
        assert.unreachable();
      } catch (err) {
        assert.ok(isHeliosError(err));
        assert.is(err.code, 'E_STEP_STATE');
      }
    }
  } finally {
    t.cleanup();
  }
});

test('crash safety: a transaction that throws leaves nothing behind', () => {
  const t = openTempStore();
  try {
    // A run whose second job collides with the first: the run and the first job must vanish too.
    const plan = runPlan([jobPlan('a'), jobPlan('b')]);
    try {
      t.store.runs.create({ id: 'run-x', repo: REPO, sha: 's', ref: 'r', event: 'push', trusted: true, plan, jobs: [{ id: 'dup', plan: plan.jobs[0]! }, { id: 'dup', plan: plan.jobs[1]! }] });
      assert.unreachable('duplicate job ids were accepted');
    } catch (err) {
      assert.not.ok(isHeliosError(err) && err.code === 'E_JOB_STATE');
    }
    assert.is(t.store.runs.get('run-x'), undefined);
    assert.is(t.store.jobs.get('dup'), undefined);

    // And an arbitrary multi-repository transaction that throws half-way.
    const id = createRun(t.store, ['c']).jobIds[0]!;
    try {
      t.store.transaction(() => {
        t.store.jobs.transition(id, 'provisioning');
        t.store.logs.append(id, [{ step: 0, stream: 'system', ts: 1, text: 'provisioning' }]);
        t.store.inbox.receive({ forge: 'gh', deliveryId: 'd1', kind: 'push', payload: {} });
        throw new Error('crash in the middle');
      });
    } catch (err) {
      assert.is((err as Error).message, 'crash in the middle');
    }
    assert.is(t.store.jobs.get(id)!.state, 'queued');
    assert.is(t.store.logs.lastSeq(id), 0);
    assert.is(t.store.inbox.received().length, 0);
    // The data that did commit survives a reopen.
    const reopened = t.reopen();
    assert.is(reopened.jobs.get(id)!.state, 'queued');
  } finally {
    t.cleanup();
  }
});

test('runs: list newest first and complete once', () => {
  const clock = new ManualClock(1000);
  const t = openTempStore({ clock });
  try {
    const a = createRun(t.store, ['x']).runId;
    clock.advance(1);
    const b = createRun(t.store, ['y']).runId;
    assert.equal(t.store.runs.list().map((r) => r.id), [b, a]);
    assert.equal(t.store.runs.list({ before: 1001 }).map((r) => r.id), [a]);
    assert.is(t.store.runs.complete(a, 'success').conclusion, 'success');
    try {
      t.store.runs.complete(a, 'failure');
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_RUN_STATE');
    }
  } finally {
    t.cleanup();
  }
});

test.run();
