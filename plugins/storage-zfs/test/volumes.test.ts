// Image clones on real zfs-fuse: constant-size clones, unknown images, release (twice, half-made,
// busy). One file-backed pool per test.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { busyZfs } from './fakeZfs.js';
import { withZfsPool, zfsTest, type ZfsPool } from './zfsPool.js';

const t = zfsTest(test);
const MiB = 1024 * 1024;

async function used(pool: ZfsPool, dataset: string): Promise<number> {
  return Number((await pool.zfs('get', '-H', '-p', '-o', 'value', 'used', dataset)).trim());
}

/** A golden image with `bytes` of incompressible data and a snapshot `golden`. */
async function makeImage(pool: ZfsPool, name: string, bytes: number): Promise<string> {
  const dataset = `${pool.parent}/images/${name}`;
  await pool.zfs('create', '-p', '-o', 'compression=off', dataset);
  const file = await open(join(pool.mountpoint, 'ci/images', name, 'disk.img'), 'w');
  const chunk = randomBytes(4 * MiB);
  for (let written = 0; written < bytes; written += chunk.length) await file.write(chunk, 0, Math.min(chunk.length, bytes - written));
  await file.sync();
  await file.close();
  await pool.zfs('snapshot', `${dataset}@golden`);
  return dataset;
}

async function code(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isHeliosError(err), String(err));
    return err.code;
  }
  return 'no error';
}

t('a clone of a 256 MiB image takes no space and shows the image', () =>
  withZfsPool(async (pool) => {
    const image = await makeImage(pool, 'ubuntu', 256 * MiB);
    const imageUsed = await used(pool, image);
    assert.ok(imageUsed >= 256 * MiB, `image holds its data (${imageUsed})`);
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const started = process.hrtime.bigint();
    const v = await s.cloneImage('ubuntu', 'job1');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`clone of a 256 MiB image: ${ms.toFixed(0)} ms (measured, not asserted)`);
    assert.equal({ id: v.id, kind: v.kind, jobId: v.jobId }, { id: 'jobs/job1-image', kind: 'image-clone', jobId: 'job1' });
    assert.is(v.location, join(pool.mountpoint, 'ci/jobs/job1-image'));
    // Constant time because nothing is copied: the clone's own `used` is metadata only.
    const cloneUsed = await used(pool, `${pool.parent}/${v.id}`);
    assert.ok(cloneUsed < MiB, `clone used ${cloneUsed} bytes`);
    assert.is((await pool.zfs('get', '-H', '-o', 'value', 'origin', `${pool.parent}/${v.id}`)).trim(), `${image}@golden`);
    const disk = join(v.location, 'disk.img');
    assert.is((await open(disk, 'r').then(async (f) => { const st = await f.stat(); await f.close(); return st.size; })), 256 * MiB);
    // The clone is the job's to write; the image stays as it was.
    writeFileSync(join(v.location, 'job-was-here'), 'x');
    assert.not.ok(existsSync(join(pool.mountpoint, 'ci/images/ubuntu/job-was-here')));
    assert.equal(await s.list(), [{ id: 'jobs/job1-image', kind: 'image-clone', jobId: 'job1' }]);
    await s.release(v);
    await s.release(v); // twice: "already gone" is done
    assert.equal(await s.list(), []);
    assert.ok(await used(pool, image) >= 256 * MiB, 'the image is untouched');
  }, { sizeBytes: 1024 * MiB }),
);

t('unknown image, image without snapshot, and the configured snapshot', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, images: { pinned: { snapshot: 'v1' } } });
    assert.is(await code(() => s.cloneImage('nope', 'job1')), 'E_STORAGE_IMAGE_NOT_FOUND');
    await pool.zfs('create', '-p', `${pool.parent}/images/bare`);
    assert.is(await code(() => s.cloneImage('bare', 'job1')), 'E_STORAGE_IMAGE_NOT_FOUND');

    // Newest snapshot by default; the configured one when set.
    for (const name of ['newest', 'pinned']) {
      const ds = `${pool.parent}/images/${name}`;
      await pool.zfs('create', ds);
      writeFileSync(join(pool.mountpoint, 'ci/images', name, 'version'), 'v1');
      await pool.zfs('snapshot', `${ds}@v1`);
      writeFileSync(join(pool.mountpoint, 'ci/images', name, 'version'), 'v2');
      await pool.zfs('snapshot', `${ds}@v2`);
    }
    const a = await s.cloneImage('newest', 'job-a');
    assert.is(readFileSync(join(a.location, 'version'), 'utf8'), 'v2');
    const b = await s.cloneImage('pinned', 'job-b');
    assert.is(readFileSync(join(b.location, 'version'), 'utf8'), 'v1');
    const missing = new ZfsStorage({ id: 'zfs', parent: pool.parent, images: { newest: { snapshot: 'v9' } } });
    assert.is(await code(() => missing.cloneImage('newest', 'job-c')), 'E_STORAGE_IMAGE_NOT_FOUND');
    // A retried clone for the same job starts clean.
    writeFileSync(join(a.location, 'dirt'), 'x');
    const again = await s.cloneImage('newest', 'job-a');
    assert.not.ok(existsSync(join(again.location, 'dirt')));
    await s.release(a);
    await s.release(b);
    assert.equal(await s.list(), []);
  }),
);

t('half-made volumes (left by a crash, with a stray snapshot) are listed with their job and released', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    await pool.zfs('create', '-p', `${pool.parent}/jobs`);
    // A crash after `zfs clone` but before the volume was handed out; and a warm volume whose
    // commit stopped after its snapshot.
    await pool.zfs('create', '-o', 'helios:job=crashed', `${pool.parent}/jobs/crashed-image`);
    await pool.zfs('create', '-o', 'helios:job=crashed', `${pool.parent}/jobs/crashed-warm`);
    await pool.zfs('snapshot', `${pool.parent}/jobs/crashed-warm@half`);
    const refs = await s.list();
    assert.equal(refs.sort((x, y) => x.id.localeCompare(y.id)), [
      { id: 'jobs/crashed-image', kind: 'image-clone', jobId: 'crashed' },
      { id: 'jobs/crashed-warm', kind: 'warm', jobId: 'crashed' },
    ]);
    for (const ref of refs) {
      await s.remove(ref);
      await s.remove(ref);
    }
    await s.release({ id: 'jobs/never-made-image', kind: 'image-clone', location: '/nowhere', jobId: 'never-made' });
    assert.equal(await s.list(), []);
    assert.is((await pool.zfs('list', '-H', '-t', 'snapshot', '-o', 'name', '-r', pool.parent)).trim(), '');
  }),
);

t('release retries "dataset is busy" with backoff, and says so when it never clears', () =>
  withZfsPool(async (pool) => {
    await pool.zfs('create', '-p', `${pool.parent}/images/img`);
    await pool.zfs('snapshot', `${pool.parent}/images/img@s`);
    const busy = busyZfs({ verb: 'destroy', times: 2, realZfs: 'zfs' });
    try {
      const v = await new ZfsStorage({ id: 'zfs', parent: pool.parent }).cloneImage('img', 'job1');
      const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, zfsCommand: busy.command, busyRetries: 3 });
      await s.release(v);
      assert.is(busy.busyAnswers(), 2);
      assert.equal(await s.list(), []);
    } finally {
      busy.cleanup();
    }
    const stuck = busyZfs({ verb: 'destroy', times: 100, realZfs: 'zfs' });
    try {
      const plain = new ZfsStorage({ id: 'zfs', parent: pool.parent });
      const v = await plain.cloneImage('img', 'job2');
      const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, zfsCommand: stuck.command, busyRetries: 2 });
      let err: unknown;
      await s.release(v).catch((e) => (err = e));
      assert.ok(isHeliosError(err) && err.code === 'E_STORAGE_BUSY', String(err));
      assert.match((err as Error).message, /fuser/);
      assert.is(stuck.busyAnswers(), 3, 'one try and two retries');
      assert.equal(await plain.list(), [{ id: 'jobs/job2-image', kind: 'image-clone', jobId: 'job2' }], 'nothing half-destroyed');
      await plain.release(v);
    } finally {
      stuck.cleanup();
    }
  }),
);

t.run();
