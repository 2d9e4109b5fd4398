// Caches and artifacts on real zfs-fuse: one compressed dataset per blob, committed by a rename,
// per-repository quota, nothing half-written ever readable, crashed uploads listed and removable.
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type Storage } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { withZfsPool, zfsTest, type ZfsPool } from './zfsPool.js';

const t = zfsTest(test);
const MiB = 1024 * 1024;

async function* chunks(parts: Uint8Array[], failAfter?: number): AsyncIterable<Uint8Array> {
  let n = 0;
  for (const p of parts) {
    if (failAfter !== undefined && n++ >= failAfter) throw new Error('client went away');
    yield p;
  }
}

async function readAll(s: Storage, id: string): Promise<Buffer | null> {
  const stream = await s.readBlob(id);
  if (!stream) return null;
  const out: Buffer[] = [];
  for await (const c of stream) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

async function prop(pool: ZfsPool, name: string, dataset: string): Promise<string> {
  return (await pool.zfs('get', '-H', '-p', '-o', 'value', name, dataset)).trim();
}

async function errorOf(fn: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isHeliosError(err), String(err));
    return { code: err.code, message: err.message };
  }
  return { code: 'no error', message: '' };
}

t('write, read back, compression on, snapshot, read-only; empty blobs; unknown ids read as null', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, compression: 'gzip' });
    // Compressible: a build directory's worth of repeated text.
    const text = Buffer.from('node_modules/some-package/index.js: module.exports = 42;\n'.repeat(40_000));
    const cache = await s.writeBlob('cache', chunks([text.subarray(0, 1000), text.subarray(1000)]), { jobId: 'job1', group: 'github/acme/widget' });
    assert.match(cache.id, /^caches\/github-acme-widget-[0-9a-f]{12}\/[a-z0-9-]+$/);
    assert.equal({ kind: cache.kind, size: cache.size }, { kind: 'cache', size: text.length });
    assert.ok((await readAll(s, cache.id))!.equals(text));

    const ds = `${pool.parent}/${cache.id}`;
    assert.is(await prop(pool, 'compression', ds), 'gzip');
    assert.ok(Number(await prop(pool, 'used', ds)) < text.length / 4, 'stored compressed');
    // Immutable once committed (zfs-fuse reports `readonly` of a mounted dataset as "off temporary",
    // so try it).
    const where = await prop(pool, 'mountpoint', ds);
    assert.throws(() => writeFileSync(`${where}/data`, 'overwritten'), /read-only/i);
    assert.ok((await pool.zfs('list', '-H', '-t', 'snapshot', '-o', 'name', '-r', ds)).includes(`${ds}@committed`));

    const artifact = await s.writeBlob('artifact', chunks([]), { jobId: 'job1', group: 'github/acme/widget' });
    assert.match(artifact.id, /^artifacts\//);
    assert.is(artifact.size, 0);
    assert.is((await readAll(s, artifact.id))!.length, 0);
    assert.is(await prop(pool, 'compression', `${pool.parent}/${artifact.id}`), 'gzip');

    assert.is(await readAll(s, 'caches/github-acme-widget-000000000000/nope'), null);
    assert.is(await readAll(s, 'jobs/job1-image'), null, 'not a blob');
    const refs = await s.list();
    assert.equal(refs.map((r) => `${r.kind}:${r.jobId}`).sort(), ['artifact:null', 'cache:null']);
    for (const r of refs) {
      await s.remove(r);
      await s.remove(r);
    }
    assert.is(await readAll(s, cache.id), null);
    assert.equal(await s.list(), []);
  }),
);

t('a stream that fails midway commits nothing and leaves no upload', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const parts = Array.from({ length: 8 }, () => randomBytes(256 * 1024));
    let err: unknown;
    await s.writeBlob('cache', chunks(parts, 5), { jobId: 'job1', group: 'github/acme/widget' }).catch((e) => (err = e));
    assert.match(String((err as Error)?.message), /client went away/);
    assert.equal(await s.list(), []);
    assert.is((await pool.zfs('list', '-H', '-o', 'name', '-r', `${pool.parent}/uploads`)).trim(), `${pool.parent}/uploads`);
  }),
);

t('quota per repository: over it is E_STORAGE_QUOTA with nothing left behind; other repositories unaffected', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent, quotaPerRepositoryBytes: 8 * MiB, compression: 'gzip' });
    const group = 'github/acme/widget';
    // Random bytes do not compress: 16 MiB cannot fit in 8.
    const big = Array.from({ length: 16 }, () => randomBytes(MiB));
    const over = await errorOf(() => s.writeBlob('cache', chunks(big), { jobId: 'job1', group }));
    assert.is(over.code, 'E_STORAGE_QUOTA', over.message);
    assert.match(over.message, /quota/);
    assert.equal(await s.list(), [], 'no upload, no cache');

    const small = await s.writeBlob('cache', chunks([randomBytes(2 * MiB)]), { jobId: 'job1', group });
    assert.is(small.size, 2 * MiB);
    const slugDs = `${pool.parent}/${small.id.split('/').slice(0, 2).join('/')}`;
    assert.is(await prop(pool, 'quota', slugDs), String(8 * MiB), 'the repository dataset carries the quota');
    assert.is(await prop(pool, 'helios:group', slugDs), group);

    // 3 more MiB fit; then the rest of the quota is gone for caches, not for another repository.
    await s.writeBlob('cache', chunks([randomBytes(3 * MiB)]), { jobId: 'job2', group });
    const again = await errorOf(() => s.writeBlob('cache', chunks(Array.from({ length: 6 }, () => randomBytes(MiB))), { jobId: 'job3', group }));
    assert.is(again.code, 'E_STORAGE_QUOTA');
    const other = await s.writeBlob('cache', chunks(Array.from({ length: 6 }, () => randomBytes(MiB))), { jobId: 'job4', group: 'github/acme/other' });
    assert.is(other.size, 6 * MiB);
    assert.equal((await s.list()).map((r) => r.kind), ['cache', 'cache', 'cache']);
    assert.is((await pool.zfs('list', '-H', '-o', 'name', '-r', `${pool.parent}/uploads`)).trim(), `${pool.parent}/uploads`);
  }),
);

t('after a crash: an upload in progress is listed with its job, and remove() destroys it', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const kept = await s.writeBlob('artifact', chunks([Buffer.from('kept')]), { jobId: 'job0', group: 'forgejo/acme/widget' });
    // What a crash in the middle of writeBlob leaves: a dataset under uploads/ with the job on it.
    const upload = `${pool.parent}/uploads/job9-lost`;
    await pool.zfs('create', '-o', 'helios:job=job9', '-o', 'helios:kind=cache', upload);
    writeFileSync(`${await prop(pool, 'mountpoint', upload)}/data`, 'half of it');
    const refs = await s.list();
    assert.equal(refs.sort((a, b) => a.id.localeCompare(b.id)), [
      { id: kept.id, kind: 'artifact', jobId: null },
      { id: 'uploads/job9-lost', kind: 'upload', jobId: 'job9' },
    ]);
    assert.is(await readAll(s, 'uploads/job9-lost'), null, 'an upload is never readable as a blob');
    await s.remove({ id: 'uploads/job9-lost', kind: 'upload' });
    await s.remove({ id: 'uploads/job9-lost', kind: 'upload' });
    assert.equal(await s.list(), [{ id: kept.id, kind: 'artifact', jobId: null }]);
    assert.is((await readAll(s, kept.id))!.toString(), 'kept');
  }),
);

t('many concurrent writers of one repository each get their own intact blob', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const payloads = Array.from({ length: 6 }, () => randomBytes(300 * 1024));
    const infos = await Promise.all(payloads.map((p, i) => s.writeBlob('cache', chunks([p]), { jobId: `job${i}`, group: 'github/acme/widget' })));
    assert.is(new Set(infos.map((i) => i.id)).size, payloads.length);
    for (const [i, info] of infos.entries()) {
      const back = await readAll(s, info.id);
      assert.is(createHash('sha256').update(back!).digest('hex'), createHash('sha256').update(payloads[i]!).digest('hex'));
    }
  }),
);

/** Polls until `check` is true; a hang guard (60 s), not a speed check. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.unreachable(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exists = (pool: ZfsPool, dataset: string) => pool.zfs('list', '-H', '-o', 'name', dataset).then(() => true, () => false);

t('a blob removed while being read: hidden at once, every byte still read, destroyed when the reader closes', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const bytes = randomBytes(3 * MiB);
    const info = await s.writeBlob('artifact', chunks([bytes]), { jobId: 'job1', group: 'github/acme/widget' });
    const dataset = `${pool.parent}/${info.id}`;
    const stream = await s.readBlob(info.id);
    assert.ok(stream);
    await s.remove({ id: info.id, kind: 'artifact' });
    assert.is(await s.readBlob(info.id), null);
    assert.equal(await s.list(), []);
    assert.ok(await exists(pool, dataset), 'held by the reader: marked, not destroyed yet');
    assert.is(await prop(pool, 'helios:removed', dataset), 'yes');
    const got: Buffer[] = [];
    for await (const c of stream!) got.push(Buffer.from(c));
    assert.ok(Buffer.concat(got).equals(bytes), 'the reader got every byte');
    await eventually('the removed blob being destroyed after its reader closed', async () => !(await exists(pool, dataset)));
  }),
);

t('removals a crash interrupted (marked, not destroyed) are finished when the storage starts', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const info = await s.writeBlob('cache', chunks([Buffer.from('x')]), { jobId: 'job1', group: 'github/acme/widget' });
    const dataset = `${pool.parent}/${info.id}`;
    await pool.zfs('set', 'helios:removed=yes', dataset);
    assert.equal(await s.list(), [], 'a marked blob is not listed');
    assert.is(await s.readBlob(info.id), null);
    await new ZfsStorage({ id: 'zfs', parent: pool.parent }).check();
    assert.not.ok(await exists(pool, dataset));
  }),
);

t.run();
