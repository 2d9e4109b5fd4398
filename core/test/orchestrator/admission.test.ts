import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobState } from '@helios-ci/sdk';
import { admit, scopedGroupKey, type AdmissionGroup, type AdmissionJob } from '../../src/orchestrator/admission.js';
import { groupsOf } from '../../src/orchestrator/concurrencyGroups.js';
import type { JobRecord } from '../../src/store/index.js';
import { jobPlan } from '../helpers/storeFixtures.js';

const REPO_A = { forge: 'gh', repo: 'acme/app' };
const group = (name: string, o: { cancelInProgress?: boolean; level?: 'job' | 'workflow'; scope?: { forge: string | null; repo: string } } = {}): AdmissionGroup => ({
  key: scopedGroupKey(o.scope ?? REPO_A, name),
  group: name,
  cancelInProgress: o.cancelInProgress ?? false,
  level: o.level ?? 'job',
});
const job = (id: string, state: JobState, o: Partial<AdmissionJob> = {}): AdmissionJob => ({
  id, runId: 'r1', state, matrixKey: null, maxParallel: null, failFast: false, continueOnError: false, groups: [], ...o,
});

test('capacity: candidates start in order until the host is full; the rest wait saying why', () => {
  const d = admit({ candidates: [job('a', 'queued'), job('b', 'queued'), job('c', 'queued')], jobs: [job('x', 'running')], capacity: 3 });
  assert.equal(d.start, ['a', 'b']);
  assert.equal(d.wait, [{ jobId: 'c', reason: 'all 3 job slots of this host are busy' }]);
  assert.equal(d.cancel, []);
});

test('a candidate that is no longer queued is not started', () => {
  const d = admit({ candidates: [job('a', 'cancelled')], jobs: [], capacity: 4 });
  assert.equal(d.start, []);
  assert.match(d.wait[0]!.reason, 'not queued');
});

test('max-parallel counts running instances of the same matrix in the same run only', () => {
  const m = (id: string, state: JobState, runId = 'r1') => job(id, state, { runId, matrixKey: 'ci.yml#test', maxParallel: 2 });
  const jobs = [m('m1', 'running'), m('m2', 'provisioning'), m('o1', 'running', 'r2'), job('other', 'running')];
  const d = admit({ candidates: [m('m3', 'queued')], jobs, capacity: 10 });
  assert.equal(d.start, []);
  assert.match(d.wait[0]!.reason, 'max-parallel 2: 2 instances');
  const one = admit({ candidates: [m('m3', 'queued'), m('m4', 'queued')], jobs: [m('m1', 'running')], capacity: 10 });
  assert.equal(one.start, ['m3'], 'the second candidate sees the first as started');
});

test('fail-fast cancels queued and running matrix siblings of the same run, not others', () => {
  const m = (id: string, state: JobState, o: Partial<AdmissionJob> = {}) => job(id, state, { matrixKey: 'ci.yml#test', failFast: true, ...o });
  const failed = m('f', 'failed');
  const jobs = [m('q', 'queued'), m('r', 'running'), m('other-run', 'running', { runId: 'r2' }), job('not-matrix', 'running'), m('other-key', 'queued', { matrixKey: 'ci.yml#lint' })];
  const d = admit({ failed: [failed], candidates: [m('q', 'queued')], jobs, capacity: 10 });
  assert.equal(d.cancel.map((c) => c.jobId).sort(), ['q', 'r']);
  assert.match(d.cancel[0]!.reason, 'fail-fast: f failed');
  assert.equal(d.start, [], 'a cancelled sibling is not started');
});

test('fail-fast does nothing when off, for continue-on-error, or outside a matrix', () => {
  const sib = job('s', 'queued', { matrixKey: 'k' });
  for (const f of [job('f', 'failed', { matrixKey: 'k', failFast: false }), job('f', 'failed', { matrixKey: 'k', failFast: true, continueOnError: true }), job('f', 'failed', { failFast: true })]) {
    assert.equal(admit({ failed: [f], jobs: [sib], capacity: 4 }).cancel, []);
  }
});

test('a group held by a running job makes a candidate wait; a job group never contends with itself', () => {
  const g = group('deploy');
  const d = admit({ candidates: [job('new', 'queued', { runId: 'r2', groups: [g] })], jobs: [job('old', 'running', { groups: [g] })], capacity: 4 });
  assert.equal(d.start, []);
  assert.equal(d.wait, [{ jobId: 'new', reason: 'concurrency group deploy is held by job old' }]);
  const two = admit({ candidates: [job('a', 'queued', { groups: [g] }), job('b', 'queued', { groups: [g] })], jobs: [], capacity: 4 });
  assert.equal(two.start, ['a'], 'two jobs of one run in a job group run one after the other');
});

test('a workflow group is held by the whole run: its own jobs run together, another run waits', () => {
  const g = group('wf', { level: 'workflow' });
  const d = admit({ candidates: [job('b', 'queued', { groups: [g] }), job('c', 'queued', { runId: 'r2', groups: [g] })], jobs: [job('a', 'running', { groups: [g] })], capacity: 4 });
  assert.equal(d.start, ['b']);
  assert.equal(d.wait.map((w) => w.jobId), ['c']);
});

test('arrival without cancel-in-progress: other runs\' pending jobs of the group are cancelled (one pending), running ones stay', () => {
  const g = group('deploy');
  const jobs = [job('running', 'running', { groups: [g] }), job('pending', 'queued', { runId: 'r0', groups: [g] }), job('unrelated', 'queued', { groups: [group('other')] })];
  const d = admit({ arrived: [job('new', 'queued', { runId: 'r9', groups: [g] })], jobs, capacity: 4 });
  assert.equal(d.cancel, [{ jobId: 'pending', reason: 'superseded by run r9 in concurrency group deploy' }]);
});

test('arrival with cancel-in-progress: pending and running jobs of other runs in the group are cancelled; the new run\'s own are not', () => {
  const g = group('deploy', { cancelInProgress: true });
  const arrived = [job('n1', 'queued', { runId: 'r9', groups: [g] }), job('n2', 'queued', { runId: 'r9', groups: [g] })];
  const jobs = [job('running', 'running', { groups: [g] }), job('pending', 'queued', { runId: 'r0', groups: [g] }), ...arrived];
  const d = admit({ arrived, jobs, capacity: 4 });
  assert.equal(d.cancel.map((c) => c.jobId).sort(), ['pending', 'running']);
});

test('groups are scoped: the same name in another repository or on another forge neither waits nor cancels', () => {
  const mine = group('deploy-production', { cancelInProgress: true });
  const otherRepo = group('deploy-production', { cancelInProgress: true, scope: { forge: 'gh', repo: 'other/site' } });
  const otherForge = group('deploy-production', { cancelInProgress: true, scope: { forge: 'forgejo', repo: 'acme/app' } });
  assert.is.not(mine.key, otherRepo.key);
  assert.is.not(mine.key, otherForge.key);
  const jobs = [job('a', 'running', { groups: [mine] })];
  for (const g of [otherRepo, otherForge]) {
    const b = job('b', 'queued', { runId: 'r2', groups: [g] });
    assert.equal(admit({ arrived: [b], candidates: [b], jobs: [...jobs, b], capacity: 4 }), { start: ['b'], wait: [], cancel: [] });
  }
});

test('scopedGroupKey cannot be confused by separators inside names', () => {
  assert.is.not(scopedGroupKey({ forge: 'gh', repo: 'a/b' }, 'c'), scopedGroupKey({ forge: 'gh', repo: 'a' }, 'b/c'));
});

test('a matrix of calls: max-parallel counts calls, not jobs; fail-fast cancels the other calls only', () => {
  const c = (id: string, state: JobState, call: string, o: { failFast?: boolean } = {}) =>
    job(id, state, { callMatrices: [{ key: 'ci.yml#build', call, failFast: o.failFast ?? true, maxParallel: 1 }] });
  const jobs = [c('a1', 'running', 'build (a)')];
  const d = admit({ candidates: [c('a2', 'queued', 'build (a)'), c('b1', 'queued', 'build (b)')], jobs, capacity: 10 });
  assert.equal(d.start, ['a2'], 'another job of the running call may start');
  assert.match(d.wait[0]!.reason, 'max-parallel 1: 1 calls of this matrix are running');
  const failed = c('a1', 'failed', 'build (a)');
  const ff = admit({ failed: [failed], jobs: [c('a2', 'running', 'build (a)'), c('b1', 'queued', 'build (b)'), job('x', 'queued')], capacity: 10 });
  assert.equal(ff.cancel.map((x) => x.jobId), ['b1']);
  const off = admit({ failed: [c('a1', 'failed', 'build (a)', { failFast: false })], jobs: [c('b1', 'queued', 'build (b)', { failFast: false })], capacity: 10 });
  assert.equal(off.cancel, []);
});

test('concurrency on a calling job: the call holds its group with all its jobs; other calls and runs wait or are displaced', () => {
  const g = (call: string, cancelInProgress = false) => ({ ...group('deploy', { cancelInProgress }), level: 'call' as const, call });
  const jobs = [job('a1', 'running', { groups: [g('deploy-call')] })];
  const same = admit({ candidates: [job('a2', 'queued', { groups: [g('deploy-call')] })], jobs, capacity: 10 });
  assert.equal(same.start, ['a2'], 'jobs of the same call do not contend');
  const other = admit({ candidates: [job('b1', 'queued', { groups: [g('other-call')] })], jobs, capacity: 10 });
  assert.match(other.wait[0]!.reason, 'concurrency group deploy is held by job a1');
  const nextRun = admit({ candidates: [job('c1', 'queued', { runId: 'r2', groups: [g('deploy-call')] })], jobs, capacity: 10 });
  assert.equal(nextRun.start, [], 'the same call of another run contends');
  const arrived = admit({ arrived: [job('n1', 'queued', { runId: 'r2', groups: [g('deploy-call', true)] })], jobs, capacity: 10 });
  assert.equal(arrived.cancel.map((c) => c.jobId), ['a1'], 'cancel-in-progress cancels the running call');
});

test('a called job is in its calling jobs\' concurrency groups, one per call level', () => {
  const plan = { ...jobPlan('build (a)/compile'), workflowCalls: [{ caller: 'build (a)', outputs: {}, matrixOf: 'build', failFast: true, maxParallel: null, concurrency: { group: 'deploy-a', cancelInProgress: true } }, { caller: 'build (a)/inner', outputs: {} }] };
  const groups = groupsOf(undefined, { runId: 'r1', plan } as unknown as JobRecord);
  assert.equal(groups, [{ group: 'deploy-a', cancelInProgress: true, key: scopedGroupKey({ forge: null, repo: 'run:r1' }, 'deploy-a'), level: 'call', call: 'build (a)' }]);
});

test.run();
