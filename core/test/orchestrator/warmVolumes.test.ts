// The rules of warm heads without machines: which branches a run reads, when a volume is kept, and
// the warm_heads index (real SQLite) that remembers them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { warmRepoKey, warmScopes, whyNotKept } from '../../src/orchestrator/warmVolumes.js';
import { openTempStore } from '../helpers/storeFixtures.js';

test('warmScopes: own branch first, then the default branch; a pull request reads its base; a tag only the default', () => {
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/feature' }), ['refs/heads/feature', 'refs/heads/main', 'refs/heads/master']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/heads/main' }), ['refs/heads/main', 'refs/heads/master']);
  // A pull request's run ref is its base branch (PlanEvent.ref); its head branch is never read.
  assert.equal(warmScopes({ event: 'pull_request', ref: 'refs/heads/release' }), ['refs/heads/release', 'refs/heads/main', 'refs/heads/master']);
  assert.equal(warmScopes({ event: 'push', ref: 'refs/tags/v1' }), ['refs/heads/main', 'refs/heads/master']);
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

test.run();
