// BhyveRuntime over a recording fake host: the order and argv of what it asks illumos for, the
// files it leaves, teardown that converges from any state, list() that finds leaks of every kind.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type MachineSpec } from '@helios-ci/sdk';
import { BhyveRuntime } from '../src/bhyveRuntime.js';
import { BhyveConfigSchema, type BhyveConfig } from '../src/config.js';
import { machineNames } from '../src/names.js';
import { COMMANDS, fakeHost, fakeStorage } from './fakeHost.js';

const codeOf = (e: unknown) => (isHeliosError(e) ? String(e.code) : `not a HeliosError: ${String(e)}`);

function world(overrides: Partial<BhyveConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bhyve-rt-'));
  const host = fakeHost();
  const storage = fakeStorage();
  const config: BhyveConfig = {
    images: { 'omnios-r151054': { dataset: 'tank/ci/images/omnios', snapshot: 'r151054', ram: '2G', vcpus: 2, bootrom: 'BHYVE', diskSize: '8G' } },
    zonepathRoot: join(dir, 'zones'),
    network: { etherstub: 'helios0', subnet: '10.77.0.0/24', gateway: '10.77.0.1', resolvers: [], allow: [] },
    guest: { node: '/usr/bin/node', agent: '/opt/helios/helios-agent.mjs', stateDir: '/var/lib/helios' },
    namePrefix: 'helios',
    maxMachines: 4,
    bootTimeoutSeconds: 60,
    commands: COMMANDS,
    ...overrides,
  };
  const open = () => new BhyveRuntime({ id: 'bhyve', config, storage, run: host.run, stateDir: join(dir, 'state') });
  return {
    dir,
    host,
    storage,
    config,
    runtime: open(),
    open,
    spec: (jobId: string, extra: Partial<MachineSpec> = {}): MachineSpec => ({ jobId, label: 'omnios-r151054', cpus: 2, memoryMb: 2048, volumes: [], agent: { endpoint: '10.77.0.1:7443', token: 'tok-secret' }, ...extra }),
    nothingLeft: () => host.zones.size === 0 && host.vnics.size === 0 && storage.clones.size === 0,
    cleanup: () => {
      host.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('the config schema accepts the documented example', () => {
  assert.ok(BhyveConfigSchema.properties.images);
});

test('provision: clone, grow, VNIC with link protection, zonecfg -f, install, ipf, boot — in that order, argv only', async () => {
  const w = world();
  try {
    const milestones: string[] = [];
    const m = await w.runtime.provision(w.spec('j1', { onMilestone: (x) => milestones.push(x) }));
    const { zone, vnic } = machineNames('helios', 'j1');
    assert.equal(m, { id: zone, jobId: 'j1', label: 'omnios-r151054' });
    assert.equal(w.storage.calls, ['clone omnios j1']);
    const cmds = w.host.calls.map((c) => c.join(' '));
    assert.equal(cmds, [
      '/sbin/zfs get -Hp -o value volsize tank/ci/jobs/j1-image',
      '/sbin/zfs set volsize=8G tank/ci/jobs/j1-image',
      `/sbin/dladm create-vnic -t -l helios0 -p protection=mac-nospoof,ip-nospoof,allowed-ips=10.77.0.2 ${vnic}`,
      `/sbin/zonecfg -z ${zone} -f ${join(w.dir, 'state', 'user-data', `${zone}.zcfg`)}`,
      `/sbin/zoneadm -z ${zone} install`,
      `/sbin/zoneadm -z ${zone} boot`,
    ]);
    const config = w.host.zones.get(zone)!.config;
    assert.ok(config.includes('set physical=' + vnic) && config.includes('set allowed-address=10.77.0.2/24'));
    assert.not.ok(existsSync(join(w.dir, 'state', 'user-data', `${zone}.zcfg`)), 'the command file is removed after use');
    const userData = join(w.dir, 'state', 'user-data', zone);
    assert.is(statSync(userData).mode & 0o777, 0o600);
    assert.ok(readFileSync(userData, 'utf8').includes('tok-secret'));
    const ipf = readFileSync(join(w.config.zonepathRoot, zone, 'etc', 'ipf.conf'), 'utf8');
    assert.ok(ipf.includes('block out all') && ipf.includes('to 10.77.0.1/32 port = 7443'));
    assert.equal(milestones, ['booted']);

    const lines: string[] = [];
    for await (const line of w.runtime.console(m)) lines.push(line);
    assert.equal(lines, ['Booting...', 'helios: starting the agent']);
    assert.equal(milestones, ['booted', 'console']);

    await w.runtime.destroy(m);
    assert.ok(w.nothingLeft(), JSON.stringify([...w.host.zones.keys(), ...w.host.vnics, ...w.storage.clones.keys()]));
    assert.not.ok(existsSync(userData), 'the user-data (a secret) is deleted at teardown');
    assert.not.ok(existsSync(join(w.config.zonepathRoot, zone)));
    assert.equal(await w.runtime.list(), []);
    const teardown = w.host.calls.map((c) => c.join(' ')).filter((c) => / (halt|uninstall|delete|delete-vnic)( |$)/.test(c));
    assert.equal(teardown, [`/sbin/zoneadm -z ${zone} halt`, `/sbin/zoneadm -z ${zone} uninstall -F`, `/sbin/zonecfg -z ${zone} delete -F`, `/sbin/dladm delete-vnic ${vnic}`]);
    assert.equal(w.storage.calls, ['clone omnios j1', 'release jobs/j1-image']);
    await w.runtime.destroy(m);
    await w.runtime.destroy({ id: m.id, jobId: null });
  } finally {
    w.cleanup();
  }
});

test('an unserved label, a bad job id and a non-IP endpoint are refused before any command', async () => {
  const w = world();
  try {
    for (const [spec, code] of [
      [w.spec('j1', { label: 'ubuntu' }), 'E_LABEL_NOT_FOUND'],
      [w.spec('j1;reboot'), 'E_BHYVE_NAME_INVALID'],
      [w.spec('j1', { agent: { endpoint: 'helios.local:7443', token: 't' } }), 'E_BHYVE_CONFIG'],
    ] as const) {
      try {
        await w.runtime.provision(spec);
        assert.unreachable();
      } catch (err) {
        assert.is(codeOf(err), code);
      }
    }
    assert.equal(w.host.calls, []);
    assert.equal(w.storage.calls, []);
  } finally {
    w.cleanup();
  }
});

test('a boot failure errors with zone.log in the reason and leaves nothing', async () => {
  const w = world();
  try {
    w.host.bootFailure = 'bhyve: bootrom BHYVE_NOPE not found\n';
    try {
      await w.runtime.provision(w.spec('j1'));
      assert.unreachable();
    } catch (err) {
      assert.is(codeOf(err), 'E_BHYVE_BOOT_FAILED');
      assert.match((err as Error).message, /bootrom BHYVE_NOPE not found/);
      assert.match((err as Error).message, /init\.log ---\n\(missing\)/);
    }
    assert.ok(w.nothingLeft());
    assert.equal(await w.runtime.list(), []);
  } finally {
    w.cleanup();
  }
});

test('a failure midway (install refused) tears down what was made', async () => {
  const w = world();
  try {
    w.host.refuse = [' install'];
    try {
      await w.runtime.provision(w.spec('j1'));
      assert.unreachable();
    } catch (err) {
      assert.is(codeOf(err), 'E_BHYVE_COMMAND_FAILED');
    }
    assert.ok(w.nothingLeft());
  } finally {
    w.cleanup();
  }
});

test('list() finds a leaked zone, an orphan VNIC and a clone after a crash; destroy of each leaves nothing', async () => {
  const w = world();
  try {
    await w.runtime.provision(w.spec('j1'));
    // A crash: records and memory gone, host state stays.
    rmSync(join(w.dir, 'state'), { recursive: true, force: true });
    w.host.vnics.add(machineNames('helios', 'j-gone').vnic);
    await w.storage.cloneImage('omnios', 'j-clone-only');
    w.host.vnics.add('e1000g0'); // not ours
    const after = w.open();
    const listed = (await after.list()).map((r) => r.id).sort();
    assert.equal(listed, [machineNames('helios', 'j-clone-only').zone, machineNames('helios', 'j1').zone, machineNames('helios', 'j-gone').vnic].sort());
    for (const ref of await after.list()) await after.destroy(ref);
    assert.equal([...w.host.vnics], ['e1000g0']);
    assert.is(w.host.zones.size, 0);
    assert.is(w.storage.clones.size, 0);
    assert.equal(await after.list(), []);
  } finally {
    w.cleanup();
  }
});

test('addresses survive a restart: a reopened runtime never hands out a held address', async () => {
  const w = world();
  try {
    await w.runtime.provision(w.spec('j1'));
    await w.runtime.provision(w.spec('j2'));
    const reopened = w.open();
    await reopened.provision(w.spec('j3'));
    const addrs = w.host.calls.filter((c) => c[1] === 'create-vnic').map((c) => /allowed-ips=(\S+)/.exec(c.join(' '))![1]);
    assert.equal(addrs, ['10.77.0.2', '10.77.0.3', '10.77.0.4']);
    for (const r of await reopened.list()) await reopened.destroy(r);
    assert.ok(w.nothingLeft());
  } finally {
    w.cleanup();
  }
});

test('maxMachines is a capacity error, and concurrent provisions get distinct addresses', async () => {
  const w = world({ maxMachines: 2 });
  try {
    const results = await Promise.allSettled([w.runtime.provision(w.spec('a1')), w.runtime.provision(w.spec('a2')), w.runtime.provision(w.spec('a3'))]);
    assert.equal(results.map((r) => r.status).sort(), ['fulfilled', 'fulfilled', 'rejected']);
    assert.is(codeOf((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason), 'E_BHYVE_CAPACITY');
    const addrs = w.host.calls.filter((c) => c[1] === 'create-vnic').map((c) => /allowed-ips=(\S+)/.exec(c.join(' '))![1]);
    assert.is(new Set(addrs).size, 2);
  } finally {
    w.cleanup();
  }
});

test('teardown that cannot remove a VNIC fails loudly, keeps the machine listed, and a retry finishes it', async () => {
  const w = world();
  try {
    const m = await w.runtime.provision(w.spec('j1'));
    w.host.refuse = ['delete-vnic'];
    try {
      await w.runtime.destroy(m);
      assert.unreachable();
    } catch (err) {
      assert.is(codeOf(err), 'E_BHYVE_TEARDOWN_INCOMPLETE');
      assert.match((err as Error).message, /VNIC helios[0-9a-f]{12}0/);
    }
    assert.equal((await w.runtime.list()).map((r) => r.id), [m.id]);
    w.host.refuse = [];
    await w.runtime.destroy(m);
    assert.ok(w.nothingLeft());
    assert.equal(await w.runtime.list(), []);
  } finally {
    w.cleanup();
  }
});

test('checkHost reports a missing snapshot and a missing etherstub together', async () => {
  const w = world({ images: { a: { dataset: 'tank/ci/images/nope', snapshot: 'v1', ram: '1G', vcpus: 1, bootrom: 'BHYVE' } }, network: { etherstub: 'stub9', subnet: '10.77.0.0/24', gateway: '10.77.0.1', resolvers: [], allow: [] } });
  try {
    await w.runtime.checkHost();
    assert.unreachable();
  } catch (err) {
    assert.is(codeOf(err), 'E_BHYVE_CONFIG');
    assert.match((err as Error).message, /tank\/ci\/images\/nope@v1 does not exist/);
    assert.match((err as Error).message, /etherstub: stub9 does not exist/);
  } finally {
    w.cleanup();
  }
});

test('a machine asked smaller than the label (a vmactions step\'s mem/cpu) gets that size; the label\'s size otherwise', async () => {
  const w = world();
  try {
    const small = await w.runtime.provision(w.spec('j1', { cpus: 1, memoryMb: 512 }));
    const full = await w.runtime.provision(w.spec('j2'));
    const attrs = (zone: string) => w.host.zones.get(zone)!.config.split('\n').filter((l) => /set name=(ram|vcpus)|set value=/.test(l)).join(' ');
    assert.match(attrs(small.id), /name=ram.*value=512M/);
    assert.match(attrs(small.id), /name=vcpus.*value=1\b/);
    assert.match(attrs(full.id), /name=ram.*value=2G/);
    assert.match(attrs(full.id), /name=vcpus.*value=2\b/);
    await w.runtime.destroy(small);
    await w.runtime.destroy(full);
  } finally {
    w.cleanup();
  }
});

test('machineSize comes from the label: ram and vcpus', () => {
  const w = world();
  try {
    assert.equal(w.runtime.machineSize('omnios-r151054'), { cpus: 2, memoryMb: 2048 });
    assert.throws(() => w.runtime.machineSize('nope'), (e: unknown) => codeOf(e) === 'E_LABEL_NOT_FOUND');
  } finally {
    w.cleanup();
  }
});

test.run();
