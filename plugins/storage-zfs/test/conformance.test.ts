// The sdk's Storage conformance suite against storage-zfs on real zfs-fuse: a pool per case, a new
// ZfsStorage over the same pool for "after a restart", golden images as snapshotted datasets.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { storageConformance, type StorageHarness } from '@helios-ci/sdk/testkit';
import type { Volume } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { createZfsPool, requireComponent, zfsFuseMissing } from './zfsPool.js';
import { test } from 'uvu';

const QUOTA = 2 * 1024 * 1024;

async function zfsHarness(quotaPerRepositoryBytes?: number): Promise<StorageHarness> {
  const pool = await createZfsPool();
  let snapshots = 0;
  const inside = (volume: Volume, rel: string) => join(volume.location, rel);
  return {
    async create() {
      const storage = new ZfsStorage({ id: 'zfs', parent: pool.parent, compression: 'gzip', ...(quotaPerRepositoryBytes ? { quotaPerRepositoryBytes } : {}) });
      await storage.check();
      return storage;
    },
    async prepareImage(name, files) {
      const dataset = `${pool.parent}/images/${name}`;
      await pool.zfs('create', '-p', dataset);
      const root = (await pool.zfs('get', '-H', '-o', 'value', 'mountpoint', dataset)).trim();
      for (const [rel, text] of Object.entries(files)) {
        await mkdir(dirname(join(root, rel)), { recursive: true });
        await writeFile(join(root, rel), text);
      }
      await pool.zfs('snapshot', `${dataset}@golden${++snapshots}`);
    },
    async readVolumeFile(volume, rel) {
      try {
        return await readFile(inside(volume, rel), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
        throw err;
      }
    },
    async writeVolumeFile(volume, rel, text) {
      await mkdir(dirname(inside(volume, rel)), { recursive: true });
      await writeFile(inside(volume, rel), text);
    },
    async halfMakeVolume(_storage, kind, jobId) {
      // `zfs clone` and `zfs create` are atomic: half-made is "made, but the call never returned".
      const id = `jobs/${jobId}-${kind === 'image-clone' ? 'image' : 'warm'}`;
      await pool.zfs('create', '-p', '-o', `helios:job=${jobId}`, `${pool.parent}/${id}`);
      const location = (await pool.zfs('get', '-H', '-o', 'value', 'mountpoint', `${pool.parent}/${id}`)).trim();
      return { id, kind, location, jobId };
    },
    cleanup: () => pool.destroy(),
  };
}

const missing = zfsFuseMissing();
if (missing) {
  requireComponent(test, missing)('Storage conformance: storage-zfs (zfs-fuse)', () => {});
  test.run();
} else {
  storageConformance('storage-zfs (zfs-fuse)', () => zfsHarness(), { quota: { bytes: QUOTA, makeHarness: () => zfsHarness(QUOTA) } }).run();
}
