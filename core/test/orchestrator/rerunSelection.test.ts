import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobPlan, JobState } from '@helios-ci/sdk';
import type { JobRecord } from '../../src/store/index.js';
import { failedWithDependents, rerunPlans } from '../../src/orchestrator/rerunSelection.js';

function job(key: string, state: JobState, needs: string[] = [], cond: string | null = null, file = 'ci.yml'): JobRecord {
  const plan = { id: `${file}#${key}`, jobKey: key, name: key, workflow: { file, name: file }, needs, if: cond } as unknown as JobPlan;
  return { id: key, runId: 'r', planId: plan.id, name: key, plan, state } as unknown as JobRecord;
}

test('failed jobs and everything that needs them, transitively; other workflows untouched', () => {
  const jobs = [
    job('build', 'succeeded'),
    job('lint', 'failed'),
    job('test', 'skipped', ['build', 'lint']),
    job('package', 'skipped', ['test']),
    job('docs', 'succeeded', ['build']),
    job('lint', 'succeeded', [], null, 'other.yml'),
    job('test', 'succeeded', ['lint'], null, 'other.yml'),
  ];
  assert.equal(failedWithDependents(jobs).map((j) => `${j.plan.workflow.file}:${j.plan.jobKey}`), ['ci.yml:lint', 'ci.yml:test', 'ci.yml:package']);
  assert.equal(failedWithDependents([job('a', 'succeeded')]), []);
  for (const state of ['timed_out', 'errored', 'cancelled'] as JobState[]) assert.is(failedWithDependents([job('a', state)]).length, 1);
});

test('re-run plans drop needs on jobs not re-run, and the if: that could only read them', () => {
  const plans = rerunPlans([job('test', 'skipped', ['build', 'lint'], "needs.build.outputs.ok == 'yes'"), job('lint', 'failed'), job('deploy', 'skipped', ['test'], 'always()')]);
  assert.equal(plans.map((p) => [p.jobKey, p.needs, p.if]), [
    ['test', ['lint'], null],
    ['lint', [], null],
    ['deploy', ['test'], 'always()'],
  ]);
});

test('a re-run keeps the remote actions pinned when the run was planned (a moved tag changes nothing)', () => {
  const sha = 'c'.repeat(40);
  const step = { id: '__1', name: 'Run acme/greeter@v1', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'node-action', uses: 'acme/greeter@v1', action: { repo: 'acme/greeter', path: '', ref: 'v1', sha }, using: 'node20', main: 'dist/main.js', with: {}, inputDefaults: {}, requiredInputs: [] };
  const failed = job('build', 'failed');
  (failed.plan as { steps: unknown[] }).steps = [step];
  const [plan] = rerunPlans([failed]);
  assert.equal(plan!.steps, [step]);
});

test.run();
