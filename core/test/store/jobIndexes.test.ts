// Issue 19: the orchestrator's indexed job queries return what filtering a run's full job list
// returns, through the indexes of migration job_indexes; a run's plan is read once and shared frozen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobPlan, JobState } from '@helios-ci/sdk';
import { isTerminalJobState, type JobRecord, type Store } from '../../src/store/index.js';
import { jobPlan, openTempStore, REPO, runPlan } from '../helpers/storeFixtures.js';

const UNFINISHED: JobState[] = ['queued', 'provisioning', 'running'];

/** A run of two workflows: `build` a 6-entry matrix in each, `test` needing it. */
function makeRun(store: Store): { runId: string; jobs: JobRecord[] } {
  const plans: JobPlan[] = [];
  for (const file of ['.github/workflows/a.yml', '.github/workflows/b.yml']) {
    for (let i = 0; i < 6; i++) plans.push({ ...jobPlan('build'), id: `${file}#build#${i}`, name: `build (${i})`, workflow: { file, name: file }, matrix: { i } });
    plans.push({ ...jobPlan('test'), id: `${file}#test`, workflow: { file, name: file }, needs: ['build'] });
  }
  const { run, jobs } = store.runs.create({ repo: REPO, sha: 'abc', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan(plans) });
  return { runId: run.id, jobs };
}

function finish(store: Store, id: string, to: JobState): void {
  store.jobs.transition(id, 'provisioning');
  if (to !== 'errored') store.jobs.transition(id, 'running');
  store.jobs.transition(id, to);
}

const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id);

test('indexed lookups agree with filtering listByRun at every step of a run', () => {
  const t = openTempStore();
  try {
    const { runId, jobs } = makeRun(t.store);
    const other = makeRun(t.store); // another run's jobs must never leak in
    const check = () => {
      const all = t.store.jobs.listByRun(runId);
      const unfinished = all.filter((j) => UNFINISHED.includes(j.state));
      assert.equal(ids(t.store.jobs.listUnfinishedByRun(runId)), ids(unfinished));
      assert.is(t.store.jobs.hasUnfinished(runId), unfinished.length > 0);
      const counts: Partial<Record<JobState, number>> = {};
      for (const j of all) counts[j.state] = (counts[j.state] ?? 0) + 1;
      assert.equal(t.store.jobs.countByStateInRun(runId), counts);
      for (const file of ['.github/workflows/a.yml', '.github/workflows/b.yml']) {
        for (const key of ['build', 'test', 'absent']) {
          const instances = all.filter((j) => j.plan.workflow.file === file && j.plan.jobKey === key);
          assert.equal(ids(t.store.jobs.listInstances(runId, file, key)), ids(instances), `${file} ${key}`);
          assert.equal(ids(t.store.jobs.listInstances(runId, file, key, true)), ids(instances.filter((j) => !isTerminalJobState(j.state))));
          assert.is(t.store.jobs.hasUnfinishedInstance(runId, file, key), instances.some((j) => !isTerminalJobState(j.state)), `${file} ${key}`);
        }
      }
    };
    check();
    const states: JobState[] = ['succeeded', 'failed', 'errored', 'cancelled', 'timed_out', 'succeeded'];
    jobs.slice(0, 6).forEach((j, i) => {
      finish(t.store, j.id, states[i]!);
      check();
    });
    t.store.jobs.transition(jobs[6]!.id, 'skipped');
    for (const j of jobs.slice(7, 13)) t.store.jobs.transition(j.id, 'provisioning');
    check();
    for (const j of jobs.slice(7)) if (!isTerminalJobState(t.store.jobs.get(j.id)!.state)) t.store.jobs.transition(j.id, 'cancelled');
    check();
    assert.is(t.store.jobs.hasUnfinished(runId), false);
    assert.is(t.store.jobs.hasUnfinished(other.runId), true, 'the other run is untouched');
  } finally {
    t.cleanup();
  }
});

test('the lookups use the job_indexes indexes (no scan of the jobs table)', () => {
  const t = openTempStore();
  try {
    const plan = (sql: string, ...args: unknown[]) =>
      (t.store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('; ');
    const byRunState = plan("SELECT 1 FROM jobs WHERE run_id = ? AND state IN ('queued', 'provisioning', 'running') LIMIT 1", 'r');
    assert.match(byRunState, /USING (COVERING )?INDEX jobs_run_state/);
    const byKey = plan("SELECT 1 FROM jobs WHERE run_id = ? AND json_extract(plan_json, '$.workflow.file') = ? AND json_extract(plan_json, '$.jobKey') = ? AND state IN ('queued', 'provisioning', 'running') LIMIT 1", 'r', 'f', 'k');
    assert.match(byKey, /USING (COVERING )?INDEX jobs_run_key_state/);
  } finally {
    t.cleanup();
  }
});

test('a run read twice shares one frozen plan; a new run of another id gets its own', () => {
  const t = openTempStore();
  try {
    const { runId } = makeRun(t.store);
    const a = t.store.runs.get(runId)!;
    const b = t.store.runs.get(runId)!;
    assert.is(a.plan, b.plan);
    assert.ok(Object.isFrozen(a.plan) && Object.isFrozen(a.plan.jobs[0]!.steps));
    assert.throws(() => {
      (a.plan.jobs as JobPlan[]).push(jobPlan('x'));
    });
    assert.is(t.store.runs.get(runId)!.plan.jobs.length, 14);
    assert.equal(t.store.runs.list({ limit: 1 })[0]!.plan, a.plan);
    const reopened = t.reopen();
    assert.equal(reopened.runs.get(runId)!.plan, a.plan, 'the stored plan is what was cached');
  } finally {
    t.cleanup();
  }
});

test.run();
