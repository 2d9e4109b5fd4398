/**
 * `helios run` keeps its store in a temp dir; its caches live in a separate index (opened at the
 * first cache use) over a Storage that outlives the run. Two runs in a row: a miss, then a hit.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirStorage } from '@helios-ci/storage-dir';
import { BlobServices } from '../../src/blobs/blobServices.js';
import { Store } from '../../src/store/index.js';
import { defaultSettings } from '../helpers/blobHarness.js';
import { createRun } from '../helpers/storeFixtures.js';

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as import('@helios-ci/sdk').Logger;

async function* bytes(text: string) {
  yield Buffer.from(text);
}

async function read(data: AsyncIterable<Uint8Array> | null): Promise<string> {
  let out = '';
  for await (const c of data ?? []) out += Buffer.from(c).toString();
  return out;
}

test('a cache saved by one run is restored by the next; a run using no cache leaves no index file', async () => {
  const home = mkdtempSync(join(tmpdir(), 'helios-run-caches-'));
  const indexPath = join(home, 'repo', '.helios', 'cache-index.db');
  const storageRoot = join(home, 'repo', '.helios', 'storage');
  const run = async (use: (blobs: BlobServices, job: { jobId: string; runId: string }) => Promise<void>) => {
    const tmp = mkdtempSync(join(tmpdir(), 'helios-run-store-'));
    const store = Store.open({ path: join(tmp, 'helios.db') });
    const blobs = new BlobServices({ store, storage: new DirStorage({ id: 'storage', root: storageRoot }), settings: defaultSettings(), logger: silent, openCacheStore: () => Store.open({ path: indexPath }) });
    try {
      const { runId, jobIds } = createRun(store, ['build']);
      await blobs.housekeeping.runNow();
      await use(blobs, { jobId: jobIds[0]!, runId });
    } finally {
      await blobs.housekeeping.stop();
      blobs.closeCacheStore();
      store.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  };
  try {
    await run(async () => undefined);
    assert.not.ok(existsSync(indexPath), 'no cache used, no index file');
    assert.not.ok(existsSync(storageRoot), 'nor a storage directory');
    await run(async (blobs, job) => {
      assert.is(await blobs.jobBlobs.restoreCache(job, { keys: ['deps-1'], version: 'v1', lookupOnly: false }), null);
      assert.is((await blobs.jobBlobs.saveCache(job, { key: 'deps-1', version: 'v1', data: bytes('node_modules') })).stored, true);
    });
    await run(async (blobs, job) => {
      const hit = await blobs.jobBlobs.restoreCache(job, { keys: ['deps-2', 'deps-'], version: 'v1', lookupOnly: false });
      assert.equal(hit && { name: hit.name, exact: hit.exact }, { name: 'deps-1', exact: false });
      assert.is(await read(hit!.data), 'node_modules');
    });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
