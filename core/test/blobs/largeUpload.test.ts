/** Many-megabyte caches and artifacts stream through the agent service with flow control, byte for byte. */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobHarness } from '../helpers/blobHarness.js';
import { probedStorage } from '../helpers/probedStorage.js';

test('a 24 MiB cache entry in 1 MiB messages round-trips through storage-dir unchanged', async () => {
  const storage = probedStorage('storage-dir');
  const h = await new BlobHarness(storage).start();
  try {
    const { token } = h.job();
    const chunks = Array.from({ length: 24 }, (_, i) => {
      const b = Buffer.alloc(1024 * 1024);
      for (let j = 0; j < b.length; j += 4096) b.writeUInt32LE((i * 7919 + j) >>> 0, j);
      return b;
    });
    const sha = (parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');
    const saved = await h.upload('UploadCache', { jobToken: token, name: 'big-cache', version: 'v1' }, chunks);
    assert.equal(saved, { size: 24 * 1024 * 1024, stored: true, reason: '' });
    const restored = await h.restore(token, ['big-cache']);
    assert.is(restored.header.size, 24 * 1024 * 1024);
    assert.is(sha([restored.data]), sha(chunks));
    await h.upload('UploadArtifact', { jobToken: token, name: 'big-artifact' }, chunks);
    assert.is(sha([(await h.downloadArtifact(token, 'big-artifact')).data]), sha(chunks));
  } finally {
    await h.stop();
    storage.dispose();
  }
});

test.run();
