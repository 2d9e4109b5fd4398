// The rules of warm heads without machines: which branches a run reads, when a volume is kept, and
// the warm_heads index (real SQLite) that remembers them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HeliosError, type Logger, type Runtime, type Storage, type Volume } from '@helios-ci/sdk';
import { WarmVolumes, warmRepoKey, warmScopes, whyNotKept } from '../../src/orchestrator/warmVolumes.js';
import type { JobRecord, RunRecord } from '../../src/store/index.js';
import { jobPlan, openTempStore, runPlan } from '../helpers/storeFixtures.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as Logger;

test('warmScopes: own branch first, then the default branch; a pull request reads its base; a tag only the default', () => {
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/feature' }, 'main'), ['refs/heads/feature', 'refs/heads/main']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/main' }, 'main'), ['refs/heads/main']);
  // A pull request's run ref is its base branch (PlanEvent.ref); its head branch is never read.
  assert.equal(warmScopes({ event: 'pull_request', ref: 'refs/heads/release' }, 'main'), ['refs/heads/release', 'refs/heads/main']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/tags/v1' }, 'refs/heads/trunk'), ['refs/heads/trunk']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/x' }, 'develop'), ['refs/heads/x', 'refs/heads/develop']);
  // The event's default branch, when the forge says it, comes before the configured one.
  const trunk = { plan: { event: { defaultBranch: 'trunk' } } };
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/feature', ...trunk }, 'main'), ['refs/heads/feature', 'refs/heads/trunk']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/trunk', ...trunk }, 'main'), ['refs/heads/trunk']);
  assert.equal(warmScopes({ event: 'pull_request', ref: 'refs/heads/release', ...trunk }, 'main'), ['refs/heads/release', 'refs/heads/trunk']);
});

test('whyNotKept: only a succeeded, trusted push to a branch keeps its volume', () => {
  const push = { event: 'push', ref: 'refs/heads/main', trusted: true };
  assert.is(whyNotKept(push, 'succeeded'), null);
  assert.is(whyNotKept(push, 'failed'), 'the job failed');
  for (const state of ['cancelled', 'timed_out', 'errored', 'running']) assert.is(whyNotKept(push, state), `the job ended ${state}`);
  assert.is(whyNotKept({ ...push, trusted: false }, 'succeeded'), 'the run is untrusted');
  assert.is(whyNotKept({ ...push, event: 'pull_request' }, 'succeeded'), 'a pull request never writes a branch head');
  assert.is(whyNotKept({ ...push, event: 'workflow_dispatch' }, 'succeeded'), 'a workflow_dispatch run does not write a branch head');
  assert.is(whyNotKept({ ...push, ref: 'refs/tags/v1' }, 'succeeded'), 'refs/tags/v1 is not a branch');
});

test('warmRepoKey: forge + owner/name (case-insensitive), the clone URL for local runs', () => {
  assert.is(warmRepoKey({ forge: 'gh', repo: { owner: 'Acme', name: 'Widget' } }), 'gh/acme/widget');
  assert.is(warmRepoKey({ forge: null, repo: { owner: 'local', name: 'widget', id: 'file:///src/widget' } }), 'local/file:///src/widget');
});

test('warm_heads: lookup in scope order, replace returns the old head, a changed path list finds nothing', () => {
  const t = openTempStore();
  try {
    const heads = t.store.warmHeads;
    const key = { storage: 'disk', repoKey: 'gh/acme/widget', jobKey: 'ci.yml#build', pathsKey: '["target"]' };
    assert.is(heads.find(key, ['refs/heads/main']), null);
    assert.is(heads.replace({ ...key, ref: 'refs/heads/main' }, 'h1', 'job-1'), null);
    assert.is(heads.replace({ ...key, ref: 'refs/heads/feature' }, 'h2', 'job-2'), null);
    assert.is(heads.find(key, ['refs/heads/feature', 'refs/heads/main'])?.headId, 'h2');
    assert.is(heads.find(key, ['refs/heads/topic', 'refs/heads/main'])?.headId, 'h1');
    assert.is(heads.replace({ ...key, ref: 'refs/heads/main' }, 'h3', 'job-3'), 'h1');
    assert.equal([...heads.headIds('disk')].sort(), ['h2', 'h3']);
    assert.is(heads.find({ ...key, pathsKey: '["target","~/.cargo"]' }, ['refs/heads/main']), null);
    assert.is(heads.find({ ...key, jobKey: 'ci.yml#lint' }, ['refs/heads/main']), null);
    assert.is(heads.find({ ...key, storage: 'zfs' }, ['refs/heads/main']), null);
    assert.equal(heads.headIds('zfs').size, 0);
  } finally {
    t.cleanup();
  }
});

/** A storage whose warm calls fail as told; records what was released. */
function flakyStorage(fail: { open?: boolean; commit?: boolean }) {
  const released: string[] = [];
  const storage = {
    id: 'flaky',
    async openWarm(_head: string | null, jobId: string): Promise<Volume> {
      if (fail.open) throw new HeliosError('E_STORAGE_FAILED', 'disk on fire');
      return { id: `v-${jobId}`, kind: 'warm', location: '/nonexistent', jobId };
    },
    async commitWarm(): Promise<string> {
      if (fail.commit) throw new HeliosError('E_STORAGE_FAILED', 'snapshot refused');
      return 'h-new';
    },
    async release(v: Volume) {
      released.push(v.id);
    },
    async remove() {},
    async list() {
      return [];
    },
  } as unknown as Storage;
  return { storage, released };
}

const runtime = { id: 'rt', warmPaths: () => ['target'] } as unknown as Runtime;

function runAndJob(store: ReturnType<typeof openTempStore>['store']): { run: RunRecord; job: JobRecord } {
  const { run, jobs } = store.runs.create({ inboxId: null, forge: 'gh', repo: { owner: 'acme', name: 'widget' }, sha: 'abc', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan([jobPlan('build')]) });
  return { run, job: { ...jobs[0]!, state: 'succeeded' } };
}

test('a storage that cannot open a warm volume: the job runs without warm paths, and its log says why', async () => {
  const t = openTempStore();
  try {
    const lines: string[] = [];
    const { run, job } = runAndJob(t.store);
    const warm = new WarmVolumes({ store: t.store, storage: flakyStorage({ open: true }).storage, logger: silent, defaultBranch: 'main' });
    assert.is(await warm.open(run, job, runtime, 'local', { system: (l) => lines.push(l) }), null);
    assert.match(lines.join('\n'), /warm paths: storage flaky could not open a warm volume \(E_STORAGE_FAILED: disk on fire\); the job runs without them/);
    const none = new WarmVolumes({ store: t.store, storage: null, logger: silent, defaultBranch: 'main' });
    assert.is(await none.open(run, job, runtime, 'local', { system: (l) => lines.push(l) }), null);
    assert.match(lines.join('\n'), /declares target for local, but no storage is configured/);
  } finally {
    t.cleanup();
  }
});

test('a commit that fails releases the volume and leaves the branch head as it was', async () => {
  const t = openTempStore();
  try {
    const lines: string[] = [];
    const log = { system: (l: string) => lines.push(l) };
    const { run, job } = runAndJob(t.store);
    const key = { storage: 'flaky', repoKey: warmRepoKey(run), jobKey: job.planId, pathsKey: '["target"]' };
    t.store.warmHeads.replace({ ...key, ref: 'refs/heads/main' }, 'h-old', 'earlier-job');
    const { storage, released } = flakyStorage({ commit: true });
    const warm = new WarmVolumes({ store: t.store, storage, logger: silent, defaultBranch: 'main' });
    const session = await warm.open(run, job, runtime, 'local', log);
    assert.ok(session);
    await warm.close(session!, run, job, true, log);
    assert.equal(released, [`v-${job.id}`]);
    assert.is(t.store.warmHeads.find(key, ['refs/heads/main'])?.headId, 'h-old');
    assert.match(lines.join('\n'), /keeping the volume failed \(E_STORAGE_FAILED: snapshot refused\); the branch keeps its previous head/);
    // A machine that could not be destroyed: the volume is never committed.
    const ok = flakyStorage({});
    const warm2 = new WarmVolumes({ store: t.store, storage: ok.storage, logger: silent, defaultBranch: 'main' });
    const s2 = await warm2.open(run, job, runtime, 'local', log);
    await warm2.close(s2!, run, job, false, log);
    assert.equal(ok.released, [`v-${job.id}`]);
    assert.match(lines.join('\n'), /not kept \(its machine could not be destroyed/);
  } finally {
    t.cleanup();
  }
});

test.run();
