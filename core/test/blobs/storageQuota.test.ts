/** A Storage quota refusing an upload reaches the agent as a clear error, and nothing is indexed. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirStorage } from '@helios-ci/storage-dir';
import { BlobHarness } from '../helpers/blobHarness.js';

test('storage-dir over its per-repository quota: RESOURCE_EXHAUSTED with E_STORAGE_QUOTA; the index stays clean', async () => {
  const root = mkdtempSync(join(tmpdir(), 'helios-quota-'));
  const h = await new BlobHarness(new DirStorage({ id: 'dir', root, quotaPerRepositoryBytes: 1000 })).start();
  try {
    const { token } = h.job();
    assert.is((await h.saveCache(token, 'small', Buffer.alloc(600))).stored, true);
    const err = await h.saveCache(token, 'big', Buffer.alloc(600)).then(
      () => null,
      (e: grpc.ServiceError) => e,
    );
    assert.is(err?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(err?.details ?? '', /E_STORAGE_QUOTA/);
    assert.equal(h.store.caches.list().map((e) => e.key), ['small']);
    const art = await h.uploadArtifact(token, 'report', Buffer.alloc(600)).then(
      () => null,
      (e: grpc.ServiceError) => e,
    );
    assert.is(art?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await h.listArtifacts(token), []);
  } finally {
    await h.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
