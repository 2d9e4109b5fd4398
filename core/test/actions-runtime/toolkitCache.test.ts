/**
 * @actions/cache (the real package, v1 REST and v2 Twirp) against the actions runtime service.
 * Calls are batched per job: each batch is one step process (loading the toolkit takes seconds).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ToolkitHarness, type ToolkitCall } from './toolkitHarness.js';

const test = suite('actions runtime: @actions/cache');
let h: ToolkitHarness;
let n = 0;

test.before.each(async () => {
  h = await new ToolkitHarness().start();
});
test.after.each(async () => {
  await h.stop();
});

/** A fresh workspace; with files, they are in deps/ (the cached path). */
function ws(files?: Record<string, string>): string {
  const dir = h.workspace(`ws-${++n}`);
  mkdirSync(dir, { recursive: true });
  if (files) {
    mkdirSync(join(dir, 'deps'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'deps', f), text);
  }
  return dir;
}

const save = (key: string, files: Record<string, string>, protocol: 'v1' | 'v2' = 'v2'): ToolkitCall => ({ op: 'save', args: { paths: ['deps'], key }, o: { cwd: ws(files), protocol } });
const restore = (key: string, restoreKeys: string[] = [], protocol: 'v1' | 'v2' = 'v2'): ToolkitCall => ({ op: 'restore', args: { paths: ['deps'], key, restoreKeys }, o: { cwd: ws(), protocol } });
const restoredKey = (r: { result: unknown }) => (r.result as { key: string | null }).key;
const savedId = (r: { result: unknown }) => (r.result as { id: number }).id;
const file = (call: ToolkitCall, name: string) => readFileSync(join(call.o.cwd, 'deps', name), 'utf8');

for (const protocol of ['v1', 'v2'] as const) {
  test(`${protocol}: save, an exact hit, a restore-keys prefix hit (newest), a miss; entries are immutable`, async () => {
    const saves = [save('npm-linux-aaa', { 'a.txt': 'first' }, protocol), save('npm-linux-bbb', { 'b.txt': 'second' }, protocol), save('npm-linux-aaa', { 'a.txt': 'changed' }, protocol)];
    const saved = await h.calls(h.job(), saves);
    assert.ok(saved.every((r) => r.ok), saved[0]!.output);
    assert.ok(savedId(saved[0]!) > 0 && savedId(saved[1]!) > 0, saved[0]!.output);
    // The second save of a key stores nothing and says why (the toolkit logs it and returns -1).
    assert.is(savedId(saved[2]!), -1);
    assert.match(saved[2]!.output, /Unable to reserve cache with key npm-linux-aaa/);

    const restores = [restore('npm-linux-aaa', [], protocol), restore('npm-linux-zzz', ['npm-linux-'], protocol), restore('yarn-linux-zzz', ['yarn-'], protocol)];
    const got = await h.calls(h.job(), restores);
    assert.ok(got.every((r) => r.ok), got[0]!.output);
    assert.is(restoredKey(got[0]!), 'npm-linux-aaa');
    assert.is(file(restores[0]!, 'a.txt'), 'first');
    assert.is(restoredKey(got[1]!), 'npm-linux-bbb');
    assert.is(file(restores[1]!, 'b.txt'), 'second');
    assert.is(restoredKey(got[2]!), null);
  });
}

test('v1 and v2 share the index: saved through one, restored through the other', async () => {
  const saved = await h.calls(h.job(), [save('shared-v1', { 'x.txt': 'from v1' }, 'v1'), save('shared-v2', { 'y.txt': 'from v2' }, 'v2')]);
  assert.ok(saved.every((r) => r.ok && savedId(r) > 0), saved[0]!.output);
  const restores = [restore('shared-v1', [], 'v2'), restore('shared-v2', [], 'v1')];
  const got = await h.calls(h.job(), restores);
  assert.equal(got.map(restoredKey), ['shared-v1', 'shared-v2'], got[0]!.output);
  assert.is(file(restores[0]!, 'x.txt'), 'from v1');
  assert.is(file(restores[1]!, 'y.txt'), 'from v2');
});

test('scopes are the native ones: a pull request reads the default branch; main never reads a pull request or another branch', async () => {
  assert.ok(savedId((await h.calls(h.job({ ref: 'refs/heads/main' }), [save('scoped-main', { 'm.txt': 'main' })]))[0]!) > 0);
  const pr = await h.calls(h.job({ event: 'pull_request', ref: 'refs/heads/main', number: 7 }), [restore('scoped-main'), save('scoped-pr', { 'p.txt': 'pr' })]);
  assert.is(restoredKey(pr[0]!), 'scoped-main', pr[0]!.output);
  assert.ok(savedId(pr[1]!) > 0);
  assert.ok(savedId((await h.calls(h.job({ ref: 'refs/heads/feature' }), [save('scoped-feature', { 'f.txt': 'f' }, 'v1')]))[0]!) > 0);
  const main = await h.calls(h.job({ ref: 'refs/heads/main' }), [restore('scoped-pr'), restore('scoped-feature', [], 'v1')]);
  assert.equal(main.map(restoredKey), [null, null]);
  // The index rows are the native ones: scope = the run's own ref, as actions/cache (built in) writes them.
  const rows = h.blobs.store.caches.list().map((e) => `${e.key}@${e.scope}`).sort();
  assert.equal(rows, ['scoped-feature@refs/heads/feature', 'scoped-main@refs/heads/main', 'scoped-pr@refs/pull/7/merge']);
});

test('an entry over limits.maxCacheEntryBytes is refused and nothing is stored', async () => {
  await h.stop();
  h = await new ToolkitHarness({ maxCacheEntryBytes: 1024 }).start();
  const big = Array.from({ length: 4000 }, (_, i) => `${(i * 7919) % 10007}`).join('\n');
  const r = await h.calls(h.job(), [save('big-v1', { 'big.txt': big }, 'v1'), save('big-v2', { 'big.txt': big }, 'v2')]);
  assert.equal(r.map(savedId), [-1, -1], r[0]!.output);
  assert.match(r[0]!.output, /big-v1 is over 1\.0 KiB \(limits\.maxCacheEntryBytes\)/);
  assert.match(r[0]!.output, /big-v2 is over 1\.0 KiB \(limits\.maxCacheEntryBytes\)/);
  assert.equal(h.blobs.store.caches.list(), []);
  assert.equal(await h.storage.blobs(), []);
});

test.run();
