// Prepared images (vmactions cache-after-prepare) on real zfs-fuse: keepPrepared snapshots a job's
// image clone in use; its release turns it into prepared/<image>/<name> instead of destroying it; the
// next cloneImage with that name starts from the snapshot (what was written after it is not there);
// a second keeper of the same name is released normally; only image clones can be kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { withZfsPool, zfsTest } from './zfsPool.js';

const t = zfsTest(test);

async function code(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isHeliosError(err), String(err));
    return err.code;
  }
  return 'no error';
}

t('keep after prepare, release keeps it, the next clone starts from it; another keeper and a warm volume are refused or released', () =>
  withZfsPool(async (pool) => {
    await pool.zfs('create', '-p', `${pool.parent}/images/omnios`);
    writeFileSync(join(pool.mountpoint, 'ci/images/omnios/golden'), 'image\n');
    await pool.zfs('snapshot', `${pool.parent}/images/omnios@golden`);
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    assert.is(await s.hasPrepared('omnios', 'k1'), false);

    const first = await s.cloneImage('omnios', 'j1');
    writeFileSync(join(first.location, 'installed'), 'gcc\n');
    await s.keepPrepared(first, 'k1');
    writeFileSync(join(first.location, 'run-output'), 'after prepare\n');
    assert.is(await s.hasPrepared('omnios', 'k1'), false, 'usable only once the clone is released');
    await s.release(first);
    assert.is(await s.hasPrepared('omnios', 'k1'), true);
    const names = (await pool.zfs('list', '-H', '-o', 'name', '-r', pool.parent)).split('\n');
    assert.ok(names.includes(`${pool.parent}/prepared/omnios/k1`), names.join('\n'));
    assert.not.ok(names.includes(`${pool.parent}/jobs/j1-image`));
    assert.equal(await s.list(), [], 'a prepared image is nothing a job owns');

    const second = await s.cloneImage('omnios', 'j2', 'k1');
    assert.is(readFileSync(join(second.location, 'installed'), 'utf8'), 'gcc\n', 'what prepare wrote');
    assert.not.ok(existsSync(join(second.location, 'run-output')), 'what ran after the snapshot is not in it');
    assert.is(readFileSync(join(second.location, 'golden'), 'utf8'), 'image\n');
    await s.release(second);

    // Two first runs at once: the second keeper finds the name taken and is released as usual.
    const a = await s.cloneImage('omnios', 'j3');
    const b = await s.cloneImage('omnios', 'j4');
    await s.keepPrepared(a, 'k2');
    await s.keepPrepared(b, 'k2');
    await s.release(a);
    await s.release(b);
    const after = (await pool.zfs('list', '-H', '-o', 'name', '-r', pool.parent)).split('\n');
    assert.ok(after.includes(`${pool.parent}/prepared/omnios/k2`));
    assert.not.ok(after.some((n) => n.includes('/jobs/j')), after.join('\n'));

    const warm = await s.openWarm(null, 'j5');
    assert.is(await code(() => s.keepPrepared(warm, 'k3')), 'E_STORAGE_NAME_INVALID');
    await s.release(warm);
    assert.is(await code(() => s.cloneImage('omnios', 'j6', 'nope')), 'E_STORAGE_IMAGE_NOT_FOUND');
  }),
);

test.run();
