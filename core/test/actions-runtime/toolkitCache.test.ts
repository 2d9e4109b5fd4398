/** @actions/cache (the real package, v1 REST and v2 Twirp) against the actions runtime service. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ToolkitHarness, type StepJob } from './toolkitHarness.js';

const test = suite('actions runtime: @actions/cache');
let h: ToolkitHarness;

test.before.each(async () => {
  h = await new ToolkitHarness().start();
});
test.after.each(async () => {
  await h.stop();
});

function workspace(name: string, files: Record<string, string> = {}): string {
  const ws = h.workspace(name);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'deps'), { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(ws, 'deps', f), text);
  return ws;
}

async function save(job: StepJob, key: string, files: Record<string, string>, protocol: 'v1' | 'v2'): Promise<number> {
  const r = await h.toolkit(job, 'save', { paths: ['deps'], key }, { cwd: workspace(`save-${key}-${protocol}`, files), protocol });
  assert.ok(r.ok, r.output);
  return (r.result as { id: number }).id;
}

async function restore(job: StepJob, key: string, restoreKeys: string[], protocol: 'v1' | 'v2'): Promise<{ key: string | null; ws: string; output: string }> {
  const ws = workspace(`restore-${key}-${protocol}-${Math.random().toString(36).slice(2, 7)}`);
  rmSync(join(ws, 'deps'), { recursive: true });
  const r = await h.toolkit(job, 'restore', { paths: ['deps'], key, restoreKeys }, { cwd: ws, protocol });
  assert.ok(r.ok, r.output);
  return { key: (r.result as { key: string | null }).key, ws, output: r.output };
}

for (const protocol of ['v1', 'v2'] as const) {
  test(`${protocol}: save, then an exact hit, a restore-keys prefix hit (newest) and a miss`, async () => {
    const writer = h.job();
    assert.ok((await save(writer, 'npm-linux-aaa', { 'a.txt': 'first' }, protocol)) > 0);
    assert.ok((await save(writer, 'npm-linux-bbb', { 'b.txt': 'second' }, protocol)) > 0);
    const reader = h.job();
    const exact = await restore(reader, 'npm-linux-aaa', [], protocol);
    assert.is(exact.key, 'npm-linux-aaa');
    assert.is(readFileSync(join(exact.ws, 'deps/a.txt'), 'utf8'), 'first');
    const prefix = await restore(reader, 'npm-linux-zzz', ['npm-linux-'], protocol);
    assert.is(prefix.key, 'npm-linux-bbb');
    assert.is(readFileSync(join(prefix.ws, 'deps/b.txt'), 'utf8'), 'second');
    const miss = await restore(reader, 'yarn-linux-zzz', ['yarn-'], protocol);
    assert.is(miss.key, null);
  });

  test(`${protocol}: an entry is immutable; a second save of the key stores nothing and says why`, async () => {
    const job = h.job();
    assert.ok((await save(job, 'k1', { 'a.txt': 'one' }, protocol)) > 0);
    const again = await h.toolkit(job, 'save', { paths: ['deps'], key: 'k1' }, { cwd: workspace('again', { 'a.txt': 'two' }), protocol });
    assert.ok(again.ok, again.output);
    assert.is((again.result as { id: number }).id, -1);
    assert.match(again.output, /Unable to reserve cache with key k1/);
    const back = await restore(h.job(), 'k1', [], protocol);
    assert.is(readFileSync(join(back.ws, 'deps/a.txt'), 'utf8'), 'one');
  });
}

test('v1 and v2 share the index: saved through one, restored through the other', async () => {
  await save(h.job(), 'shared-v1', { 'x.txt': 'from v1' }, 'v1');
  await save(h.job(), 'shared-v2', { 'y.txt': 'from v2' }, 'v2');
  const reader = h.job();
  const a = await restore(reader, 'shared-v1', [], 'v2');
  assert.is(readFileSync(join(a.ws, 'deps/x.txt'), 'utf8'), 'from v1');
  const b = await restore(reader, 'shared-v2', [], 'v1');
  assert.is(readFileSync(join(b.ws, 'deps/y.txt'), 'utf8'), 'from v2');
});

test('scopes are the native ones: a pull request reads the default branch; main never reads the pull request', async () => {
  await save(h.job({ ref: 'refs/heads/main' }), 'scoped-main', { 'm.txt': 'main' }, 'v2');
  const pr = h.job({ event: 'pull_request', ref: 'refs/heads/main', number: 7 });
  assert.is((await restore(pr, 'scoped-main', [], 'v2')).key, 'scoped-main');
  await save(pr, 'scoped-pr', { 'p.txt': 'pr' }, 'v2');
  assert.is((await restore(h.job({ ref: 'refs/heads/main' }), 'scoped-pr', [], 'v2')).key, null);
  // A feature branch's entries are not main's either.
  await save(h.job({ ref: 'refs/heads/feature' }), 'scoped-feature', { 'f.txt': 'f' }, 'v1');
  assert.is((await restore(h.job({ ref: 'refs/heads/main' }), 'scoped-feature', [], 'v1')).key, null);
  // The index rows are the native ones: scope = the run's ref, as actions/cache (built in) writes them.
  const rows = h.blobs.store.caches.list().map((e) => `${e.key}@${e.scope}`).sort();
  assert.equal(rows, ['scoped-feature@refs/heads/feature', 'scoped-main@refs/heads/main', 'scoped-pr@refs/pull/7/merge']);
});

test('an entry over limits.maxCacheEntryBytes is refused and nothing is stored', async () => {
  await h.stop();
  h = await new ToolkitHarness({ maxCacheEntryBytes: 1024 }).start();
  const big = Array.from({ length: 4000 }, (_, i) => `${i * 7919 % 10007}`).join('\n');
  for (const protocol of ['v1', 'v2'] as const) {
    const r = await h.toolkit(h.job(), 'save', { paths: ['deps'], key: `big-${protocol}` }, { cwd: workspace(`big-${protocol}`, { 'big.txt': big }), protocol });
    assert.ok(r.ok, r.output);
    assert.is((r.result as { id: number }).id, -1, r.output);
    assert.match(r.output, /limits\.maxCacheEntryBytes/);
  }
  assert.equal(h.blobs.store.caches.list(), []);
  assert.equal(await h.storage.blobs(), []);
});

test.run();
