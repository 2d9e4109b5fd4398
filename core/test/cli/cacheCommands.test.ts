/** `helios cache list` and `helios cache prune` through the real binary, over a seeded store and storage-dir. */
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirStorage } from '@helios-ci/storage-dir';
import { Store } from '../../src/store/index.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { Caches } from '../../src/blobs/caches.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

const DAY = 86_400_000;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as import('@helios-ci/sdk').Logger;
const CONFIG = `server:\n  dataDir: ./data\nplugins:\n  blobs:\n    use: "@helios-ci/storage-dir"\n    config:\n      path: ./blobs\ncaches:\n  maxIdleDays: 7\n  maxBytesPerRepository: 1000000\n`;

/** Saves entries as a serve would have: blobs in storage-dir, rows in the store; `ageDays` back in time. */
async function seed(p: TempProject, entries: { repo: string; scope: string; key: string; bytes: string; ageDays: number; trusted?: boolean }[]): Promise<DirStorage> {
  const storage = new DirStorage({ id: 'blobs', root: join(p.dir, 'blobs') });
  for (const e of entries) {
    const clock = new ManualClock(Date.now() - e.ageDays * DAY);
    const store = Store.open({ path: join(p.dir, 'data', 'helios.db'), clock });
    const caches = new Caches({ store, storage, settings: { maxEntryBytes: 1e9, maxBytesPerRepository: 1e9, maxIdleDays: 1e6 }, logger: silent });
    const trusted = e.trusted ?? true;
    await caches.save({ repo: e.repo, write: e.scope, trusted, read: [] }, { jobId: 'seed', key: e.key, version: 'v1', data: (async function* () { yield Buffer.from(e.bytes); })() });
    store.close();
  }
  return storage;
}

test('cache list shows entries (table and JSON), filtered by --repo; a bad --repo is a usage error', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', CONFIG);
    await seed(p, [
      { repo: 'github/acme/widget', scope: 'refs/heads/main', key: 'npm-linux-abc', bytes: 'x'.repeat(2048), ageDays: 1 },
      { repo: 'github/acme/widget', scope: 'refs/pull/7/merge', key: 'npm-linux-pr', bytes: 'y', ageDays: 0, trusted: false },
      { repo: 'forgejo/me/tool', scope: 'refs/heads/main', key: 'cargo-../../x', bytes: 'z', ageDays: 2 },
    ]);
    const json = await runHelios(['cache', 'list', '--json'], { cwd: p.dir });
    assert.is(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as { repo: string; scope: string; key: string; size: number; trusted: boolean }[];
    assert.equal(rows.map((r) => [r.repo, r.key, r.size, r.trusted]), [
      ['forgejo/me/tool', 'cargo-../../x', 1, true],
      ['github/acme/widget', 'npm-linux-pr', 1, false],
      ['github/acme/widget', 'npm-linux-abc', 2048, true],
    ]);
    const table = await runHelios(['cache', 'list', '--repo', 'github/acme/widget'], { cwd: p.dir });
    assert.is(table.code, 0, table.stderr);
    assert.match(table.stdout, /^REPOSITORY\s+SCOPE\s+KEY\s+SIZE\s+LAST USED\n/);
    assert.match(table.stdout, /github\/acme\/widget\s+refs\/pull\/7\/merge\s+npm-linux-pr \(untrusted\)\s+1 B/);
    assert.match(table.stdout, /npm-linux-abc\s+2\.0 KiB/);
    assert.match(table.stdout, /github\/acme\/widget: 2 entries, 2\.0 KiB\n$/);
    assert.not.match(table.stdout, /forgejo/);
    const bad = await runHelios(['cache', 'list', '--repo', 'widget'], { cwd: p.dir });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /--repo widget is not a repository key; use forge\/owner\/name/);
  } finally {
    p.cleanup();
  }
});

test('cache prune evicts what is idle (bytes too); --all --repo removes one repository; --all everything', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', CONFIG);
    const storage = await seed(p, [
      { repo: 'github/acme/widget', scope: 'refs/heads/main', key: 'old', bytes: 'o', ageDays: 30 },
      { repo: 'github/acme/widget', scope: 'refs/heads/main', key: 'fresh', bytes: 'f', ageDays: 1 },
      { repo: 'forgejo/me/tool', scope: 'refs/heads/main', key: 'tool', bytes: 't', ageDays: 1 },
    ]);
    const blobs = async () => (await storage.list()).filter((r) => r.kind === 'cache').length;
    assert.is(await blobs(), 3);
    const idle = await runHelios(['cache', 'prune'], { cwd: p.dir });
    assert.is(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /^removed 1 cache entry \(1 B\)\n  github\/acme\/widget  refs\/heads\/main  old\n$/);
    assert.is(await blobs(), 2);
    const one = await runHelios(['cache', 'prune', '--all', '--repo', 'forgejo/me/tool'], { cwd: p.dir });
    assert.match(one.stdout, /removed 1 cache entry \(1 B\) of forgejo\/me\/tool/);
    const left = JSON.parse((await runHelios(['cache', 'list', '--json'], { cwd: p.dir })).stdout) as { key: string }[];
    assert.equal(left.map((e) => e.key), ['fresh']);
    const all = await runHelios(['cache', 'prune', '--all'], { cwd: p.dir });
    assert.match(all.stdout, /removed 1 cache entry/);
    assert.is(await blobs(), 0);
    assert.match((await runHelios(['cache', 'list'], { cwd: p.dir })).stdout, /^no cache entries\n$/);
  } finally {
    p.cleanup();
  }
});

test('keys with terminal escapes and newlines (a fork PR may choose them) are printed escaped', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', CONFIG);
    await seed(p, [{ repo: 'github/acme/widget', scope: 'refs/pull/3/merge', key: 'x\u001b[2J\u001b]0;pwned\u0007\nfake line', bytes: 'e', ageDays: 0, trusted: false }]);
    const table = await runHelios(['cache', 'list'], { cwd: p.dir });
    assert.is(table.code, 0, table.stderr);
    assert.not.ok(table.stdout.includes('\u001b'), 'no raw escape reaches the terminal');
    assert.ok(table.stdout.includes('x\\u001b[2J\\u001b]0;pwned\\u0007\\u000afake line (untrusted)'), table.stdout);
    const json = JSON.parse((await runHelios(['cache', 'list', '--json'], { cwd: p.dir })).stdout) as { key: string }[];
    assert.is(json[0]!.key, 'x\u001b[2J\u001b]0;pwned\u0007\nfake line', 'JSON keeps the exact key');
  } finally {
    p.cleanup();
  }
});

test.run();
