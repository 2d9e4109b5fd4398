// The zonecfg command file, the ipf rules and the user-data are compared with reviewed files in
// test/fixtures: a change to what reaches the host shows up as a diff to review.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { ipfRules, parseEndpoint } from '../src/ipfRules.js';
import { userData } from '../src/userData.js';
import { zonecfgCommands } from '../src/zonecfgFile.js';
import { allocateAddress, parseSubnet } from '../src/addresses.js';

const fixture = (name: string) => readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
const JOB = '3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c';
const GUEST = { node: '/usr/bin/node', agent: '/opt/helios/helios-agent.mjs', stateDir: '/var/lib/helios' };

const zone = {
  zonepath: `/zones/helios-${JOB}`,
  net: { physical: 'helios5d2c0b7e91aa0' },
  address: '10.77.0.2',
  prefixLength: 24,
  gateway: '10.77.0.1',
  bootdisk: { dataset: `tank/ci/jobs/${JOB}-image` },
  disks: [],
  ram: '4G',
  vcpus: 2,
  bootrom: 'BHYVE',
  resolvers: ['10.77.0.1'],
  cloudInit: `/var/lib/helios/data/runtime-bhyve/user-data/helios-${JOB}`,
};

test('zonecfg command file matches the reviewed one', () => {
  assert.fixture(zonecfgCommands(zone), fixture('job.zcfg'));
});

test('a warm volume is a second disk with its own device, and global-nic makes an on-demand VNIC', () => {
  assert.fixture(zonecfgCommands({ ...zone, net: { globalNic: 'helios0', name: 'helios5d2c0b7e91aa0' }, disks: [{ dataset: `tank/ci/jobs/${JOB}-warm` }], resolvers: [] }), fixture('job-warm-globalnic.zcfg'));
});

test('a value that could end a zonecfg token is refused', () => {
  for (const bad of ['4G;delete -F', '4G\nadd attr', '4G end', 'a"b']) {
    try {
      zonecfgCommands({ ...zone, ram: bad });
      assert.unreachable(bad);
    } catch (err) {
      assert.ok(isHeliosError(err) && String(err.code) === 'E_BHYVE_NAME_INVALID', String(err));
    }
  }
});

test('ipf rules: default deny plus the agent endpoint and the egress proxy; without a proxy, the agent and the configured extras', () => {
  assert.fixture(ipfRules({ agent: parseEndpoint('10.77.0.1:7443'), proxy: parseEndpoint('10.77.0.1:3128'), extra: [] }), fixture('job.ipf.conf'));
  assert.fixture(ipfRules({ agent: parseEndpoint('10.77.0.1:7443'), proxy: null, extra: [parseEndpoint('10.77.0.3:8080')] }), fixture('job-noproxy-allow.ipf.conf'));
  assert.fixture(ipfRules({ agent: parseEndpoint('10.77.0.1:7443'), proxy: parseEndpoint('10.77.0.1:3128'), actions: parseEndpoint('10.77.0.1:7444'), extra: [] }), fixture('job-actions.ipf.conf'));
});

test('an endpoint the firewall cannot express is refused', () => {
  for (const bad of ['localhost:7443', '10.77.0.1', '10.77.0.1:0', '10.77.0.1:70000', '300.1.1.1:80', '10.0.0.1:80 quick']) {
    assert.throws(() => parseEndpoint(bad), (e: unknown) => isHeliosError(e) && String(e.code) === 'E_BHYVE_CONFIG', bad);
  }
});

test('user-data matches the reviewed bootstrap; the token is in the file, never on a command line', () => {
  const text = userData({ jobId: JOB, endpoint: '10.77.0.1:7443', token: 'tok_abc123', guest: GUEST });
  assert.fixture(text, fixture('job.user-data'));
  const exec = text.split('\n').find((l) => l.startsWith('exec '))!;
  assert.not.ok(exec.includes('tok_abc123'));
});

test('user-data with an egress proxy: the bootstrap file carries egressProxy (the reviewed file)', () => {
  assert.fixture(userData({ jobId: JOB, endpoint: '10.77.0.1:7443', token: 'tok_abc123', egressProxy: '10.77.0.1:3128', guest: GUEST }), fixture('job-egress.user-data'));
  assert.throws(() => userData({ jobId: JOB, endpoint: '10.77.0.1:7443', token: 't', egressProxy: '10.77.0.1:3128\nrm -rf /', guest: GUEST }), (e: unknown) => isHeliosError(e));
});

test('user-data refuses values that could escape the script', () => {
  for (const token of ["a'b", 'a b', 'a\nHELIOS_BOOTSTRAP\nrm -rf /', '$(id)', 'a"b']) {
    assert.throws(() => userData({ jobId: JOB, endpoint: '10.77.0.1:7443', token, guest: GUEST }), (e: unknown) => isHeliosError(e), JSON.stringify(token));
  }
});

test('addresses: lowest free host address, skipping the gateway; full subnet is a capacity error', () => {
  const s = parseSubnet('10.77.0.0/29');
  assert.is(allocateAddress(s, '10.77.0.1', []), '10.77.0.2');
  assert.is(allocateAddress(s, '10.77.0.1', ['10.77.0.2', '10.77.0.4']), '10.77.0.3');
  assert.throws(() => allocateAddress(s, '10.77.0.1', ['10.77.0.2', '10.77.0.3', '10.77.0.4', '10.77.0.5', '10.77.0.6']), (e: unknown) => isHeliosError(e) && String(e.code) === 'E_BHYVE_CAPACITY');
  assert.throws(() => parseSubnet('10.77.0.5/24'), (e: unknown) => isHeliosError(e) && /10\.77\.0\.0\/24/.test((e as Error).message));
});

test.run();
