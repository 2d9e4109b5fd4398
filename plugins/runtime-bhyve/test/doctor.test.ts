// helios doctor on the illumos simulator + zfs-fuse: a healthy bhyve host (commands, privileges,
// image snapshot, etherstub, zonepath root, the ZFS pool and images) and a missing image dataset,
// with the exact verdicts, through the real CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { LABEL, requireComponent, simMissing, withSimHost, type SimHost } from './simWorld.js';

const t = requireComponent(test, simMissing());

function deployment(h: SimHost, bhyve: unknown, zfs: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'bhyve-doctor-'));
  writeFileSync(
    join(dir, 'helios.yaml'),
    `server:
  dataDir: ./data
plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  zfs:
    use: "@helios-ci/storage-zfs"
    config: ${JSON.stringify(zfs)}
  bhyve:
    use: "@helios-ci/runtime-bhyve"
    config: ${JSON.stringify(bhyve)}
`,
  );
  return dir;
}

const env = () => ({ HELIOS_ILLUMOS_SIM_STATE: process.env.HELIOS_ILLUMOS_SIM_STATE!, PATH: process.env.PATH ?? '/usr/bin:/bin' });

t('a healthy simulated host: every bhyve and zfs check ok, exit 0', () =>
  withSimHost(async (h) => {
    const dir = deployment(h, h.config, { parent: h.pool.parent, zfsCommand: h.config.commands.zfs, images: { omnios: { snapshot: 'r151054' } } });
    try {
      const r = await runHeliosDoctor(dir, { env: env() });
      const image = h.config.images[LABEL]!;
      assert.equal(r.verdict('bhyve', `image ${LABEL}`), { source: 'bhyve', name: `image ${LABEL}`, status: 'ok', message: `${image.dataset}@r151054` });
      assert.equal(r.verdict('bhyve', 'etherstub'), { source: 'bhyve', name: 'etherstub', status: 'ok', message: 'helios0 exists' });
      assert.equal(r.verdict('bhyve', 'privileges'), { source: 'bhyve', name: 'privileges', status: 'ok', message: 'running as root' });
      for (const c of ['zonecfg', 'zoneadm', 'dladm', 'zfs']) assert.is(r.verdict('bhyve', `command ${c}`)?.status, 'ok', c);
      assert.is(r.verdict('bhyve', 'zonepath root')?.status, 'ok');
      assert.equal(r.verdict('zfs', 'pool'), { source: 'zfs', name: 'pool', status: 'ok', message: `${h.pool.pool} is imported` });
      assert.is(r.verdict('zfs', 'parent dataset')?.status, 'ok');
      assert.equal(r.verdict('zfs', 'image omnios'), { source: 'zfs', name: 'image omnios', status: 'ok', message: `${h.pool.parent}/images/omnios@r151054` });
      // The test pool is small (512 MiB): free space is the one thing doctor may remark on.
      assert.equal(r.verdict('zfs', 'free space')?.status, 'warning');
      assert.is(r.report!.errors, 0, JSON.stringify(r.report!.checks.filter((c) => c.status === 'error')));
      assert.is(r.code, 0, r.stdout + r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

t('a missing image dataset: bhyve and zfs both say so, the runtime cannot build; exit 1', () =>
  withSimHost(async (h) => {
    const missing = `${h.pool.parent}/images/gone`;
    const bhyve = { ...h.config, images: { gone: { dataset: missing, snapshot: 'v1' } } };
    const dir = deployment(h, bhyve, { parent: h.pool.parent, zfsCommand: h.config.commands.zfs, images: { gone: {} } });
    try {
      const r = await runHeliosDoctor(dir, { env: env() });
      assert.is(r.code, 1, r.stdout + r.stderr);
      const v = r.verdict('bhyve', 'image gone')!;
      assert.is(v.status, 'error');
      assert.is(v.message, `dataset ${missing} does not exist`);
      assert.match(v.fix!, /^build the image: helios image build --from <cloud image> --label gone/);
      const z = r.verdict('zfs', 'image gone')!;
      assert.is(z.status, 'error');
      assert.match(z.message, new RegExp(`^${missing} does not exist: `));
      const build = r.verdict('bhyve', 'plugin builds')!;
      assert.is(build.status, 'error');
      assert.match(build.message, /^E_PLUGIN_FACTORY_FAILED: plugin "bhyve" failed to build "runtime": runtime-bhyve bhyve: images\.gone: snapshot \S*gone@v1 does not exist/);
      assert.is(r.verdict('bhyve', 'etherstub')?.status, 'ok', 'the other checks still ran');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
