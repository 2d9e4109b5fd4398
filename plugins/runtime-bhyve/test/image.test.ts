// helios image build / list / prune on zfs-fuse through the illumos simulator's zfs, with a
// directory-tree guest image: the agent bundle is installed, cloud-init and node are checked, a
// label means its newest version, and prune keeps an old version while a job's clone uses it.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heliosCliPath } from '@helios-ci/sdk/testkit';
import { ZfsStorage } from '@helios-ci/storage-zfs';
import { requireComponent, simCommands, simMissing, withSimHost } from './simWorld.js';

const t = requireComponent(test, simMissing());

function helios(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [heliosCliPath(), ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, HELIOS_ILLUMOS_SIM_STATE: process.env.HELIOS_ILLUMOS_SIM_STATE! } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function guestTree(root: string, o: { cloudInit?: boolean; nodeMajor?: number } = {}): string {
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/include/node'), { recursive: true });
  if (o.cloudInit !== false) writeFileSync(join(root, 'usr/bin/cloud-init'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(root, 'usr/bin/node'), 'an ELF for the guest\n', { mode: 0o755 });
  writeFileSync(join(root, 'usr/include/node/node_version.h'), `#define NODE_MAJOR_VERSION ${o.nodeMajor ?? 22}\n#define NODE_MINOR_VERSION 11\n`);
  writeFileSync(join(root, 'etc-motd'), 'golden\n');
  return root;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t('build, list and prune golden images; old versions with clones are kept until their jobs end; a tree without cloud-init or node ≥ 20 is refused', () =>
  withSimHost(async (h) => {
    const dir = mkdtempSync(join(tmpdir(), 'helios-image-'));
    try {
      writeFileSync(join(dir, 'helios.yaml'), `plugins:\n  zfs:\n    use: "@helios-ci/storage-zfs"\n    config: ${JSON.stringify({ parent: h.pool.parent, zfsCommand: simCommands.zfs })}\n`);
      const tree = guestTree(join(dir, 'tree'));
      const builds: string[] = [];
      for (let i = 0; i < 3; i++) {
        if (i) await sleep(1100); // versions are named to the second, and ordered by creation time
        writeFileSync(join(tree, 'etc-motd'), `golden ${i}\n`);
        const r = await helios(dir, ['image', 'build', '--from', './tree', '--label', 'golden', '--json']);
        assert.is(r.code, 0, r.stderr);
        const built = JSON.parse(r.stdout) as { snapshot: string; dataset: string; guest: { cloudInit: string; nodeMajor: number } };
        assert.is(built.dataset, `${h.pool.parent}/images/golden`);
        assert.match(built.snapshot, new RegExp(`^${h.pool.parent}/images/golden@v\\d{14}$`));
        assert.equal(built.guest, { cloudInit: '/usr/bin/cloud-init', node: '/usr/bin/node', nodeMajor: 22 });
        builds.push(built.snapshot);
      }
      // The agent bundle is in the image, byte for byte.
      const mountpoint = (await h.pool.zfs('get', '-H', '-o', 'value', 'mountpoint', `${h.pool.parent}/images/golden`)).trim();
      const bundle = createRequire(import.meta.url).resolve('@helios-ci/agent/bundle');
      assert.ok(readFileSync(join(mountpoint, 'opt/helios/helios-agent.mjs')).equals(readFileSync(bundle)));
      assert.is(readFileSync(join(mountpoint, 'etc-motd'), 'utf8'), 'golden 2\n');

      // A job runs on the oldest version: storage-zfs clones a snapshot like this.
      await h.pool.zfs('create', '-p', `${h.pool.parent}/jobs`);
      await h.pool.zfs('clone', builds[0]!, `${h.pool.parent}/jobs/j1-image`);

      const listed = await helios(dir, ['image', 'list', '--json']);
      assert.is(listed.code, 0, listed.stderr);
      const images = JSON.parse(listed.stdout) as { label: string; snapshots: { name: string; clones: string[]; current: boolean }[] }[];
      // The simulated host already has its own image (omnios); ours is listed beside it.
      assert.equal(images.map((i) => i.label), ['golden', 'omnios']);
      assert.equal(images[0]!.snapshots.map((s) => [s.name, s.current, s.clones]), [
        [builds[0], false, [`${h.pool.parent}/jobs/j1-image`]],
        [builds[1], false, []],
        [builds[2], true, []],
      ]);
      // The label means what storage-zfs clones for it: the newest version.
      const storage = new ZfsStorage({ id: 'zfs', parent: h.pool.parent, zfsCommand: simCommands.zfs });
      const volume = await storage.cloneImage('golden', 'j2');
      const origin = (await h.pool.zfs('get', '-H', '-o', 'value', 'origin', `${h.pool.parent}/${volume.id}`)).trim();
      assert.is(origin, builds[2]);
      await storage.release(volume);

      const pruned = await helios(dir, ['image', 'prune']);
      assert.is(pruned.code, 0, pruned.stderr);
      assert.is(pruned.stdout, `kept ${builds[0]}: 1 clone still use it (${h.pool.parent}/jobs/j1-image)\nremoved ${builds[1]}: older than the newest 1\n`);
      const snaps = (await h.pool.zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', `${h.pool.parent}/images/golden`)).split('\n').filter(Boolean);
      assert.equal(snaps, [builds[0], builds[2]]);

      // The job ended: its clone is gone, and so the old version can go.
      await h.pool.zfs('destroy', `${h.pool.parent}/jobs/j1-image`);
      const again = await helios(dir, ['image', 'prune']);
      assert.is(again.stdout, `removed ${builds[0]}: older than the newest 1\n`);

      // A tree without cloud-init, or with an old node, is refused and nothing is snapshotted.
      guestTree(join(dir, 'bare'), { cloudInit: false, nodeMajor: 18 });
      const refused = await helios(dir, ['image', 'build', '--from', './bare', '--label', 'bare']);
      assert.is(refused.code, 1);
      assert.match(refused.stderr, /^error E_IMAGE_INVALID: the image tree .* cannot run Helios jobs: no cloud-init \(looked for \/usr\/bin\/cloud-init, .*\); install it in the guest .*; node 18 at \/usr\/bin\/node is too old; the agent needs node ≥ 20\n$/);
      assert.not.match(await h.pool.zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', `${h.pool.parent}/images`), /images\/bare@/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

t('build from a dataset: zfs send | recv into the image dataset, snapshotted; built once per label; an unknown dataset is refused', () =>
  withSimHost(async (h) => {
    const dir = mkdtempSync(join(tmpdir(), 'helios-image-ds-'));
    try {
      writeFileSync(join(dir, 'helios.yaml'), `plugins:\n  zfs:\n    use: "@helios-ci/storage-zfs"\n    config: ${JSON.stringify({ parent: h.pool.parent, zfsCommand: simCommands.zfs })}\n`);
      // A "cloud image" already on the pool: a dataset with a guest tree in it.
      const source = `${h.pool.parent}/cloud-src`;
      await h.pool.zfs('create', '-p', source);
      const srcMount = (await h.pool.zfs('get', '-H', '-o', 'value', 'mountpoint', source)).trim();
      writeFileSync(join(srcMount, 'cloud-marker'), 'from the cloud image\n');

      const r = await helios(dir, ['image', 'build', '--from', source, '--label', 'cloud', '--json']);
      assert.is(r.code, 0, r.stderr);
      const built = JSON.parse(r.stdout) as { snapshot: string; dataset: string; guest: unknown };
      assert.is(built.dataset, `${h.pool.parent}/images/cloud`);
      assert.match(built.snapshot, new RegExp(`^${h.pool.parent}/images/cloud@v\\d{14}$`));
      assert.is(built.guest, null);
      // The source got the snapshot that was sent; the image dataset holds the received data.
      const version = built.snapshot.split('@')[1]!;
      assert.match(await h.pool.zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', source), new RegExp(`${source}@helios-${version}`));
      const mount = (await h.pool.zfs('get', '-H', '-o', 'value', 'mountpoint', built.dataset)).trim();
      assert.is(readFileSync(join(mount, 'cloud-marker'), 'utf8'), 'from the cloud image\n');
      // It is an image like the others: listed with its version (recv also brought the sent snapshot).
      const listed = JSON.parse((await helios(dir, ['image', 'list', '--json'])).stdout) as { label: string; snapshots: { name: string; current: boolean }[] }[];
      const cloud = listed.find((i) => i.label === 'cloud')!;
      assert.equal(cloud.snapshots.map((s) => s.name).sort(), [`${built.dataset}@helios-${version}`, built.snapshot]);

      // Built once: a second build from a dataset under the same label is refused, nothing changes.
      const again = await helios(dir, ['image', 'build', '--from', source, '--label', 'cloud']);
      assert.is(again.code, 1);
      assert.match(again.stderr, /^error E_IMAGE_EXISTS: .*images\/cloud exists; an image built from a dataset is built once/);
      const snaps = (await h.pool.zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', built.dataset)).split('\n').filter(Boolean);
      assert.equal(snaps.sort(), [`${built.dataset}@helios-${version}`, built.snapshot]);

      const missing = await helios(dir, ['image', 'build', '--from', `${h.pool.parent}/no-such`, '--label', 'ghost']);
      assert.is(missing.code, 1);
      assert.match(missing.stderr, /^error E_IMAGE_INVALID: --from .*\/no-such: no such directory or dataset/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
