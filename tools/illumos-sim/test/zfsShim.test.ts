// The zfs wrapper on real zfs-fuse: volumes made with -V are filesystems underneath but show as
// volumes; a clone of a volume is a volume; volsize applies to volumes only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { destroyDataset, newHost } from './sim.js';
import { withZfsPool, zfsTest } from './zfsHost.js';

const t = zfsTest(test);

t('create -V, list -t volume, get type/volsize, clone, set volsize', () =>
  withZfsPool(async ({ parent, zfs }) => {
    const h = newHost();
    try {
      await h.ok('zfs', 'create', '-s', '-V', '1G', '-o', 'volblocksize=8k', `${parent}/vol`);
      await h.ok('zfs', 'create', `${parent}/fs`);
      assert.is(await h.ok('zfs', 'list', '-H', '-t', 'volume', '-o', 'name,volsize', '-r', parent), `${parent}/vol\t1G\n`);
      assert.is(await h.ok('zfs', 'list', '-H', '-t', 'filesystem', '-o', 'name', '-r', parent), `${parent}\n${parent}/fs\n`);
      assert.is(await h.ok('zfs', 'get', '-H', '-o', 'value', 'type', `${parent}/vol`), 'volume\n');
      assert.is(await h.ok('zfs', 'get', '-H', '-o', 'value', 'mountpoint', `${parent}/vol`), '-\n');
      assert.is(await h.ok('zfs', 'get', '-H', '-o', 'value', 'type', `${parent}/fs`), 'filesystem\n');
      assert.match(await zfs('get', '-H', '-o', 'value', 'type', `${parent}/vol`), /filesystem/, 'underneath: a real filesystem');
      await h.ok('zfs', 'snapshot', `${parent}/vol@v1`);
      await h.ok('zfs', 'clone', `${parent}/vol@v1`, `${parent}/clone`);
      assert.is(await h.ok('zfs', 'get', '-H', '-o', 'value', 'type,volsize,origin', `${parent}/clone`), `volume\n1G\n${parent}/vol@v1\n`);
      await h.ok('zfs', 'set', 'volsize=4G', `${parent}/clone`);
      assert.is(await h.ok('zfs', 'get', '-H', '-o', 'value', 'volsize', `${parent}/clone`), '4G\n');
      const r = await h.run('zfs', 'set', 'volsize=4G', `${parent}/fs`);
      assert.is(r.code, 1);
      assert.match(r.stderr, /'volsize' does not apply to datasets of this type/);
      assert.is((await h.run('zfs', 'create', '-V', 'huge', `${parent}/bad`)).code, 2);
      await destroyDataset(h, `${parent}/clone`);
      assert.is(await h.ok('zfs', 'list', '-H', '-t', 'volume', '-o', 'name', '-r', parent), `${parent}/vol\n`);
    } finally {
      await h.cleanup();
    }
  }),
);

t.run();
