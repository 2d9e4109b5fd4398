// The package as the kernel loads it: config schema, start-time checks of pool and parent.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyPlugin } from '@helios-ci/sdk/testkit';
import { withZfsPool, zfsTest } from './zfsPool.js';
import { recordingZfs } from './fakeZfs.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');
const z = zfsTest(test);

test('the config schema refuses unknown keys, bad compression and a bad parent', async () => {
  for (const config of [{}, { parent: 'tank/ci', bogus: 1 }, { parent: 'tank/ci', compression: 'brotli' }, { parent: 'tank/ci;rm' }, { parent: 'tank/ci', quotaPerRepositoryBytes: 10 }, { parent: 'tank/ci', images: { 'a b': {} } }]) {
    const steps = await verifyPlugin(PACKAGE_DIR, { config });
    const configure = steps.find((s) => s.step === 'configure');
    assert.ok(configure && !configure.ok, `${JSON.stringify(config)} should be refused: ${JSON.stringify(steps)}`);
  }
});

test('start fails with E_STORAGE_CONFIG when the pool does not exist', async () => {
  const fake = recordingZfs();
  try {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { parent: 'nopool/ci', zfsCommand: fake.command, zpoolCommand: fake.command } });
    const start = steps.find((s) => s.step === 'start');
    assert.ok(start && !start.ok, JSON.stringify(steps));
    assert.match(start!.detail, /pool "nopool".*zpool import nopool/);
    assert.equal(fake.calls(), [['list', '-H', '-o', 'name', 'nopool']]);
  } finally {
    fake.cleanup();
  }
});

z('on a real pool the plugin starts and creates its parent dataset', () =>
  withZfsPool(async (pool) => {
    const parent = `${pool.pool}/helios/ci`;
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { parent, compression: 'gzip', quotaPerRepositoryBytes: 1 << 30 } });
    assert.ok(steps.every((s) => s.ok), JSON.stringify(steps, null, 1));
    assert.is((await pool.zfs('list', '-H', '-o', 'name', parent)).trim(), parent);
  }),
);

test.run();
