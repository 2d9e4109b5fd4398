// The package as the kernel loads it (what `helios config check` runs): the schema, the Storage
// dependency, and the host checks at build time — run against small stand-in executables.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { definePlugin, StorageToken, Type } from '@helios-ci/sdk';
import { verifyPlugin } from '@helios-ci/sdk/testkit';
import { fakeStorage } from './fakeHost.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = mkdtempSync(join(tmpdir(), 'bhyve-plugin-bin-'));
const script = (name: string, body: string) => {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
  return join(bin, name);
};
// The host has tank/ci/images/omnios@r151054 and the etherstub helios0.
const commands = {
  zfs: script('zfs', `[ "$1" = list ] && [ "$7" = tank/ci/images/omnios@r151054 ] && { echo "$7"; exit 0; }; echo "cannot open '$7': dataset does not exist" >&2; exit 1`),
  dladm: script('dladm', `[ "$1" = show-link ] && [ "$5" = helios0 ] && { echo etherstub; exit 0; }; echo "dladm: object not found" >&2; exit 1`),
  zonecfg: script('zonecfg', 'exit 1'),
  zoneadm: script('zoneadm', 'exit 1'),
};
const storagePlugin = definePlugin({
  name: 'fake-storage',
  apiVersion: '1.x',
  kinds: ['storage'],
  configSchema: Type.Object({}),
  register: (ctx) => ctx.provide(StorageToken, { factory: () => fakeStorage() }),
});
const alongside = { zfs: { use: storagePlugin, config: {} } };
const base = {
  images: { 'omnios-r151054': { dataset: 'tank/ci/images/omnios', snapshot: 'r151054', ram: '4G', vcpus: 2 } },
  network: { etherstub: 'helios0', subnet: '10.77.0.0/24', gateway: '10.77.0.1' },
  commands,
};

test('a config that matches the host loads, builds and starts', async () => {
  const steps = await verifyPlugin(PACKAGE_DIR, { config: base, alongside });
  assert.ok(steps.every((s) => s.ok), JSON.stringify(steps, null, 1));
});

test('a missing snapshot and a missing etherstub are reported when the value is built (config check), both at once', async () => {
  const config = { ...base, images: { a: { dataset: 'tank/ci/images/nope', snapshot: 'v1' } }, network: { ...base.network, etherstub: 'stub9' } };
  const steps = await verifyPlugin(PACKAGE_DIR, { config, alongside });
  const failed = steps.find((s) => !s.ok);
  assert.ok(failed, JSON.stringify(steps));
  assert.match(failed!.detail, /tank\/ci\/images\/nope@v1 does not exist/);
  assert.match(failed!.detail, /stub9 does not exist/);
});

test('without a Storage plugin the runtime says what it needs', async () => {
  const steps = await verifyPlugin(PACKAGE_DIR, { config: base });
  const failed = steps.find((s) => !s.ok);
  assert.ok(failed && /storage/.test(failed.detail), JSON.stringify(steps));
});

test('the schema refuses bad names, subnets, both or neither network link, and unknown keys', async () => {
  for (const config of [
    { ...base, namePrefix: 'Helios-1' },
    { ...base, namePrefix: 'waytoolongprefix' },
    { ...base, network: { ...base.network, subnet: '10.77.0.0/33' } },
    { ...base, network: { ...base.network, gateway: '10.78.0.1' } },
    { ...base, network: { subnet: '10.77.0.0/24', gateway: '10.77.0.1' } },
    { ...base, network: { ...base.network, globalNic: 'igb0' } },
    { ...base, images: { x: { dataset: 'tank/x;reboot', snapshot: 'v1' } } },
    { ...base, images: { x: { dataset: 'tank/x', snapshot: 'v1', ram: '4 G' } } },
    { ...base, bogus: 1 },
  ]) {
    const steps = await verifyPlugin(PACKAGE_DIR, { config, alongside });
    assert.ok(steps.some((s) => !s.ok), `${JSON.stringify(config)} should be refused: ${JSON.stringify(steps)}`);
  }
});

test.after(() => rmSync(bin, { recursive: true, force: true }));
test.run();
