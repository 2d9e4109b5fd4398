/**
 * Cache scopes through a real `helios serve` (recording forge, local runtime, embedded storage-dir):
 * a fork pull request cannot poison the default branch's cache, a pull request reads its base
 * branch's entries, and the default branch comes from the event when the forge says it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const repoRef = { owner: 'acme', name: 'widget', installationId: '7' };

/** Restores `shared-key`, prints what it found, and (on a miss) writes who.txt into the cache. */
const WORKFLOW = `on: [push, pull_request]
jobs:
  c:
    runs-on: local
    steps:
      - uses: actions/checkout@v4
      - id: c
        uses: actions/cache@v4
        with:
          path: data
          key: shared-key
      - run: |
          echo "result hit=[\${{ steps.c.outputs.cache-hit }}] had=[$(cat data/f 2>/dev/null)]"
          mkdir -p data; [ -f data/f ] || cat who.txt > data/f
`;

/** The `result ...` line of the n-th finished job (in creation order). */
async function resultOf(d: Deployment, n: number): Promise<string> {
  const job = await waitFor(`job ${n} to finish`, () => {
    const j = d.jobs()[n - 1];
    return j && !['queued', 'provisioning', 'running'].includes(j.state) && j;
  }, 90_000);
  const log = d.log(job.id);
  assert.is(job.state, 'succeeded', log.join('\n'));
  const line = log.find((l) => l.startsWith('result '));
  assert.ok(line, log.join('\n'));
  return line!;
}

interface Entry {
  scope: string;
  trusted: number;
  key: string;
}
const entries = (d: Deployment) => d.query<Entry>('SELECT scope, trusted, key FROM cache_entries ORDER BY created_at, rowid');

test('a fork pull request cannot poison the default branch cache; a pull request reads its base branch', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/c.yml', WORKFLOW).write('who.txt', 'mallory\n');
  const forkSha = repo.commit('fork head');
  repo.write('who.txt', 'main\n');
  const mainSha = repo.commit('main');
  const d = new Deployment(repo, { permissions: { alice: 'write' } });
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    // 1. The fork's approved run saves `shared-key` first: the key main is about to use.
    const fork = { kind: 'pullRequest', repo: repoRef, number: 8, action: 'opened', head: { sha: forkSha, ref: 'evil', repo: { owner: 'mallory', name: 'widget' } }, base: { ref: 'main' }, fromFork: true, author: 'mallory' };
    assert.is((await d.event(url, fork)).status, 202);
    await waitFor('the approval check', () => d.forge().checks.find((c) => c.name === 'Approve and run'));
    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:8', sender: 'alice' });
    assert.is(await resultOf(d, 1), 'result hit=[] had=[]');
    await waitFor('the fork entry', () => entries(d).length === 1);
    assert.equal(entries(d), [{ scope: 'refs/pull/8/merge', trusted: 0, key: 'shared-key' }]);

    // 2. A push to main misses (never the fork's bytes) and saves its own entry.
    await d.push(url, mainSha);
    assert.is(await resultOf(d, 2), 'result hit=[] had=[]');
    await waitFor('the main entry', () => entries(d).length === 2);
    assert.equal(entries(d)[1], { scope: 'refs/heads/main', trusted: 1, key: 'shared-key' });

    // 3. The next push to main restores main's entry.
    await d.push(url, mainSha);
    assert.is(await resultOf(d, 3), 'result hit=[true] had=[main]');

    // 4. A same-repository pull request into main reads its base branch's entry.
    const pr = { kind: 'pullRequest', repo: repoRef, number: 9, action: 'opened', head: { sha: forkSha, ref: 'feature', repo: repoRef }, base: { ref: 'main' }, fromFork: false, author: 'alice' };
    await d.event(url, pr);
    assert.is(await resultOf(d, 4), 'result hit=[true] had=[main]');
    assert.is(entries(d).length, 2, 'an exact hit saves nothing');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test("the event's default branch (not the config's `main`) is where other branches read from", async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/c.yml', WORKFLOW).write('who.txt', 'trunk\n');
  const sha = repo.commit('trunk');
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    const push = (ref: string, defaultBranch?: string) =>
      d.event(url, { kind: 'push', repo: repoRef, ref, before: '0'.repeat(40), after: sha, sender: 'alice', ...(defaultBranch && { defaultBranch }) });
    await push('refs/heads/trunk', 'trunk');
    assert.is(await resultOf(d, 1), 'result hit=[] had=[]');
    await waitFor('the trunk entry', () => entries(d).length === 1);
    assert.is(entries(d)[0]!.scope, 'refs/heads/trunk');
    // A branch whose event names trunk as the default reads trunk's entry.
    await push('refs/heads/topic', 'trunk');
    assert.is(await resultOf(d, 2), 'result hit=[true] had=[trunk]');
    // Without the event's word, the config's default (main) applies: trunk is not read.
    await push('refs/heads/other');
    assert.is(await resultOf(d, 3), 'result hit=[] had=[]');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
