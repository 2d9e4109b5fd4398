// Warm heads on real zfs-fuse: a job's warm volume becomes a head, the next job starts from a clone
// of it, and heads can be removed in any order while newer heads and open clones keep working.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type StorageRef } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { withZfsPool, zfsTest, type ZfsPool } from './zfsPool.js';

const t = zfsTest(test);

const sorted = (refs: StorageRef[]) => refs.map((r) => `${r.kind}:${r.id}:${r.jobId ?? '-'}`).sort();
const files = (dir: string) => readdirSync(dir).sort();

async function datasets(pool: ZfsPool): Promise<string[]> {
  return (await pool.zfs('list', '-H', '-t', 'all', '-o', 'name', '-r', `${pool.parent}/warm`, `${pool.parent}/jobs`)).split('\n').filter(Boolean);
}

t('fresh volume, commit, clone of the head; a consumed volume releases as a no-op', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const v1 = await s.openWarm(null, 'job1');
    assert.equal({ id: v1.id, kind: v1.kind, jobId: v1.jobId }, { id: 'jobs/job1-warm', kind: 'warm', jobId: 'job1' });
    assert.equal(files(v1.location), []);
    writeFileSync(join(v1.location, 'target.bin'), 'built by job1');
    const head = await s.commitWarm(v1);
    assert.match(head, /^warm\/[a-z0-9-]+$/);
    await s.release(v1); // consumed by commitWarm
    assert.equal(sorted(await s.list()), [`warm-head:${head}:-`]);

    const v2 = await s.openWarm(head, 'job2');
    assert.is(readFileSync(join(v2.location, 'target.bin'), 'utf8'), 'built by job1');
    writeFileSync(join(v2.location, 'target.bin'), 'changed by job2');
    await s.release(v2);
    // The head did not see job2's write.
    const v3 = await s.openWarm(head, 'job3');
    assert.is(readFileSync(join(v3.location, 'target.bin'), 'utf8'), 'built by job1');
    await s.release(v3);

    let err: unknown;
    await s.commitWarm(v1).catch((e) => (err = e));
    assert.ok(isHeliosError(err) && err.code === 'E_NOT_FOUND', 'committing a consumed volume again');
    // A head that no longer exists gives an empty volume.
    await s.remove({ id: head, kind: 'warm-head' });
    await s.remove({ id: head, kind: 'warm-head' });
    const v4 = await s.openWarm(head, 'job4');
    assert.equal(files(v4.location), []);
    await s.release(v4);
    assert.equal(await s.list(), []);
  }),
);

t('head1 → job clone → head2; head1 removed: head2 still readable and clonable, open clones unharmed', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    const v1 = await s.openWarm(null, 'job1');
    writeFileSync(join(v1.location, 'a'), 'from job1');
    const head1 = await s.commitWarm(v1);

    // Two jobs start from head1 at once; one of them commits head2.
    const v2 = await s.openWarm(head1, 'job2');
    const side = await s.openWarm(head1, 'side');
    writeFileSync(join(v2.location, 'b'), 'from job2');
    const head2 = await s.commitWarm(v2);
    const h2 = `${pool.parent}/${head2}`;
    // Promoted: the new head is the origin now, the old one a clone of it.
    assert.is((await pool.zfs('get', '-H', '-o', 'value', 'origin', h2)).trim(), '-');
    assert.is((await pool.zfs('get', '-H', '-o', 'value', 'origin', `${pool.parent}/${head1}`)).trim(), `${h2}@${head1.slice(5)}`);

    await s.remove({ id: head1, kind: 'warm-head' });
    assert.equal(sorted(await s.list()), sorted([
      { id: head2, kind: 'warm-head', jobId: null },
      { id: 'jobs/side-warm', kind: 'warm', jobId: 'side' },
    ]));
    // head2 is readable: mount it where it is and look.
    await pool.zfs('mount', h2);
    const h2Dir = (await pool.zfs('get', '-H', '-o', 'value', 'mountpoint', h2)).trim();
    assert.equal(files(h2Dir), ['a', 'b']);
    await pool.zfs('umount', h2);
    // A job clone of head2 works; the clone made from head1 earlier is intact.
    const v3 = await s.openWarm(head2, 'job3');
    assert.equal(files(v3.location), ['a', 'b']);
    assert.is(readFileSync(join(v3.location, 'b'), 'utf8'), 'from job2');
    assert.equal(files(side.location), ['a']);
    assert.equal(files((await s.openWarm(head1, 'job4')).location), [], 'a removed head opens empty');

    // head1's snapshot was kept only for `side`; releasing it frees it.
    assert.ok((await datasets(pool)).some((d) => d.endsWith(`@${head1.slice(5)}`)));
    await s.release(side);
    assert.not.ok((await datasets(pool)).some((d) => d.endsWith(`@${head1.slice(5)}`)), 'head1 fully gone');

    // job3 builds head3 on head2; removing head2 while job5 still uses it; then everything.
    writeFileSync(join(v3.location, 'c'), 'from job3');
    const head3 = await s.commitWarm(v3);
    const v5 = await s.openWarm(head2, 'job5');
    await s.remove({ id: head2, kind: 'warm-head' });
    assert.equal(files(v5.location), ['a', 'b']);
    const v6 = await s.openWarm(head3, 'job6');
    assert.equal(files(v6.location), ['a', 'b', 'c']);
    assert.equal(files((await s.openWarm(head2, 'job7')).location), []);
    for (const ref of await s.list()) await s.remove(ref);
    assert.equal(await s.list(), []);
    assert.equal(await datasets(pool), [`${pool.parent}/warm`, `${pool.parent}/jobs`].sort());
  }),
);

t('removing an old head first or the newest head first both work', () =>
  withZfsPool(async (pool) => {
    const s = new ZfsStorage({ id: 'zfs', parent: pool.parent });
    // A chain of three heads; remove the middle, then the newest, then the oldest.
    const heads: string[] = [];
    let head: string | null = null;
    for (const name of ['one', 'two', 'three']) {
      const v = await s.openWarm(head, `job-${name}`);
      writeFileSync(join(v.location, name), name);
      head = await s.commitWarm(v);
      heads.push(head);
    }
    await s.remove({ id: heads[1]!, kind: 'warm-head' });
    const v = await s.openWarm(heads[2]!, 'reader');
    assert.equal(files(v.location), ['one', 'three', 'two']);
    await s.release(v);
    await s.remove({ id: heads[2]!, kind: 'warm-head' });
    const old = await s.openWarm(heads[0]!, 'reader2');
    assert.equal(files(old.location), ['one']);
    await s.release(old);
    await s.remove({ id: heads[0]!, kind: 'warm-head' });
    assert.equal(await s.list(), []);
    assert.equal(await datasets(pool), [`${pool.parent}/jobs`, `${pool.parent}/warm`]);
    assert.not.ok(existsSync(join(pool.mountpoint, 'ci/warm', heads[0]!.slice(5))));
  }),
);

t.run();
