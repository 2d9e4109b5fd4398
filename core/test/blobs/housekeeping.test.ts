/** Eviction, idle expiry, retention on a fake clock, and the storage reconciler after a crash. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { reconcileStorage } from '../../src/blobs/storageReconciler.js';
import { DirStorage } from '@helios-ci/storage-dir';
import { BlobHarness, defaultSettings } from '../helpers/blobHarness.js';
import { MemoryStorage } from '../helpers/memoryStorage.js';
import { probedStorage, type ProbedStorage, type StorageFlavour } from '../helpers/probedStorage.js';

const DAY = 86_400_000;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as import('@helios-ci/sdk').Logger;
const settings = defaultSettings({ caches: { maxBytesPerRepository: 25, maxIdleDays: 7 } });

for (const flavour of ['storage-dir', 'memory'] as StorageFlavour[]) evictionSuite(flavour);
reconcilerSuite();

function evictionSuite(flavour: StorageFlavour): void {
const test = suite(`storage housekeeping on ${flavour}`);
let storage: ProbedStorage;
let h: BlobHarness;

test.before.each(async () => {
  storage = probedStorage(flavour);
  h = await new BlobHarness(storage, settings).start();
});
test.after.each(async () => {
  await h.stop();
  storage.dispose();
});

const keys = () => h.store.caches.list().map((e) => e.key).sort();

test('beyond the per-repository size the least recently used entries go first (after each save)', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'a', '0123456789');
  h.clock.advance(1000);
  await h.saveCache(token, 'b', '0123456789');
  h.clock.advance(1000);
  await h.restore(token, ['a']); // a is now more recently used than b
  h.clock.advance(1000);
  // Another repository's entries count against their own limit, not this one's.
  const other = h.job({ forge: 'forgejo' });
  await h.saveCache(other.token, 'z', '0123456789');
  await h.blobs.housekeeping.idle();
  assert.equal(keys(), ['a', 'b', 'z']);
  await h.saveCache(token, 'c', '0123456789'); // 30 bytes > 25: b (LRU) goes
  await h.blobs.housekeeping.idle();
  assert.equal(keys(), ['a', 'c', 'z']);
  assert.is((await storage.blobs('cache')).length, 3);
  assert.is((await h.restore(token, ['b'])).header.found, false);
  assert.is((await h.restore(token, ['a'])).data.toString(), '0123456789');
});

test('entries unused for maxIdleDays are removed by the periodic pass on the clock; a restore keeps one alive', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'stale', 'x');
  await h.saveCache(token, 'kept', 'y');
  h.blobs.housekeeping.start();
  h.clock.advance(5 * DAY);
  await h.restore(token, ['kept']);
  await h.blobs.housekeeping.idle();
  assert.equal(keys(), ['kept', 'stale']);
  h.clock.advance(3 * DAY); // stale: 8 days unused; kept: 3
  await h.blobs.housekeeping.idle();
  assert.equal(keys(), ['kept']);
  assert.is((await storage.blobs()).length, 1);
  h.clock.advance(8 * DAY);
  await h.blobs.housekeeping.idle();
  assert.equal(keys(), []);
  assert.is((await storage.blobs()).length, 0);
});

test('prune of every entry, of one repository or all', async () => {
  await h.saveCache(h.job().token, 'gh', 'x');
  await h.saveCache(h.job({ forge: 'forgejo' }).token, 'fj', 'y');
  const removed = await h.blobs.caches.removeAll('github/acme/widget');
  assert.equal(removed.map((e) => e.key), ['gh']);
  assert.equal(keys(), ['fj']);
  await h.blobs.caches.removeAll();
  assert.equal(keys(), []);
  assert.is((await storage.blobs()).length, 0);
});

test('a crash between the blob commit and the index row leaves an orphan the reconciler removes; no row ever lacks its blob', async () => {
  const { token } = h.job();
  // The store refuses the row (as if the process died before writing it): the committed blob is the orphan.
  const insert = h.store.caches.insert.bind(h.store.caches);
  h.store.caches.insert = () => {
    throw new Error('simulated crash before the index row');
  };
  await h.saveCache(token, 'k', 'bytes').catch(() => undefined);
  h.store.caches.insert = insert;
  assert.is((await storage.blobs()).length, 1);
  assert.is(h.store.caches.list().length, 0);
  assert.is((await h.restore(token, ['k'])).header.found, false);
  await reconcileStorage({ storage, store: h.store, liveJobIds: new Set(), logger: silent });
  assert.is((await storage.blobs()).length, 0);
});

test.run();
}

function reconcilerSuite(): void {
const test = suite('storage reconciler');
let storage: MemoryStorage;
let h: BlobHarness;

test.before.each(async () => {
  storage = new MemoryStorage();
  h = await new BlobHarness(storage, settings).start();
});
test.after.each(async () => {
  await h.stop();
});

test('the reconciler removes what a crash left: uploads and volumes of dead jobs, unreferenced blobs; keeps the rest', async () => {
  const { token, run } = h.job();
  await h.saveCache(token, 'indexed', 'keep me');
  await h.uploadArtifact(token, 'art', 'keep me too');
  // A blob committed just before a crash, with no index row.
  storage.leave({ id: 'cache/orphan', kind: 'cache', jobId: null });
  storage.leave({ id: 'artifact/orphan', kind: 'artifact', jobId: null });
  storage.leave({ id: 'upload/dead', kind: 'upload', jobId: 'dead-job' });
  storage.leave({ id: 'upload/live', kind: 'upload', jobId: 'live-job' });
  storage.leave({ id: 'clone/dead', kind: 'image-clone', jobId: 'dead-job' });
  storage.leave({ id: 'warm/dead', kind: 'warm', jobId: 'dead-job' });
  storage.leave({ id: 'head/1', kind: 'warm-head', jobId: null });
  const removed = await reconcileStorage({ storage, store: h.store, liveJobIds: new Set(['live-job']), logger: silent });
  assert.equal(removed.map((r) => r.id).sort(), ['artifact/orphan', 'cache/orphan', 'clone/dead', 'upload/dead', 'warm/dead']);
  const left = (await storage.list()).map((r) => r.id);
  assert.ok(left.includes('upload/live'));
  assert.ok(left.includes('head/1'), 'warm heads belong to the warm paths index');
  assert.is((await h.restore(token, ['indexed'])).data.toString(), 'keep me');
  assert.is((await h.downloadArtifact(token, 'art')).data.toString(), 'keep me too');
  assert.ok(run.id);
});

test('storage-dir: an upload cut off by a crash is listed with its job after a restart and removed; committed blobs stay', async () => {
  const root = mkdtempSync(join(tmpdir(), 'helios-reconcile-dir-'));
  try {
    const before = new DirStorage({ id: 'dir', root });
    const kept = await before.writeBlob('cache', (async function* () {
      yield Buffer.from('committed');
    })(), { jobId: 'job-a', group: 'github/acme/widget' });
    h.store.caches.insert({ repo: 'github/acme/widget', scope: 'refs/heads/main', trusted: true, key: 'k', version: 'v', blobId: kept.id, size: kept.size });
    let arrived!: () => void;
    const firstChunk = new Promise<void>((r) => (arrived = r));
    // The process "dies" mid-upload: the stream never ends, and a new instance opens the same root.
    void before.writeBlob('artifact', (async function* () {
      yield Buffer.from('half');
      arrived();
      await new Promise(() => undefined);
    })(), { jobId: 'job-dead', group: 'github/acme/widget' });
    await firstChunk;
    const after = new DirStorage({ id: 'dir', root });
    const listed = await after.list();
    assert.ok(listed.some((r) => r.kind === 'upload' && r.jobId === 'job-dead'), JSON.stringify(listed));
    const removed = await reconcileStorage({ storage: after, store: h.store, liveJobIds: new Set(), logger: silent });
    assert.equal(removed.map((r) => r.kind), ['upload']);
    assert.equal((await after.list()).map((r) => r.id), [kept.id]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
}
