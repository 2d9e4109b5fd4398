// Faults that need no booted VM: a slow install (incomplete meanwhile, other commands not blocked)
// and a "dataset is busy" zfs destroy consumed one firing at a time. Boot faults: faultsBoot.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { waitFor } from '@helios-ci/sdk/testkit';
import { jobZoneFile, newHost, type Host } from './sim.js';

let h: Host;
test.before.each(() => {
  h = newHost();
});
test.after.each(() => h.cleanup());

test('slow-install: the zone is incomplete while installing, other commands go on, then it is installed', async () => {
  await h.ok('control', 'fault', 'add', 'slow-install', '--match', 'slow', '--seconds', '10', '--count', '1');
  for (const z of ['slow-1', 'quick-1']) {
    await h.ok('zonecfg', '-z', z, '-f', h.file(`${z}.zcfg`, jobZoneFile({ zonepath: join(h.zones, z), dataset: `rpool/ci/${z}`, vnic: 'v0' })));
  }
  const slow = h.run('zoneadm', '-z', 'slow-1', 'install');
  let seenIncomplete = false;
  await waitFor('slow-1 to be incomplete', () => {
    void h.run('zoneadm', 'list', '-cp').then((r) => (seenIncomplete ||= /slow-1:incomplete/.test(r.stdout)));
    return seenIncomplete;
  });
  await h.ok('zoneadm', '-z', 'quick-1', 'install');
  assert.match(await h.ok('zoneadm', 'list', '-cp'), /slow-1:incomplete/, 'quick-1 installed while slow-1 still installs');
  assert.is((await slow).code, 0);
  assert.match(await h.ok('zoneadm', 'list', '-cp'), /slow-1:installed/);
  assert.is(await h.ok('control', 'fault', 'list'), '', 'a fault with --count 1 is consumed');
});

test('destroy-busy: zfs destroy says "dataset is busy" as many times as armed, only for the matching datasets', async () => {
  await h.ok('control', 'fault', 'add', 'destroy-busy', '--match', 'tank/ci/jobs/', '--count', '2');
  for (let i = 0; i < 2; i++) {
    const r = await h.run('zfs', 'destroy', 'tank/ci/jobs/job1');
    assert.is(r.code, 1);
    assert.is(r.stderr, "cannot destroy 'tank/ci/jobs/job1': dataset is busy\n");
  }
  // Third time the real zfs answers (here: the pool does not exist, so not "busy").
  const r = await h.run('zfs', 'destroy', 'tank/ci/jobs/job1');
  assert.not.match(r.stderr, /dataset is busy/);
  assert.is(await h.ok('control', 'fault', 'list'), '');
});

test('fault control: unknown kinds are usage errors; env faults are never consumed; clear empties', async () => {
  assert.is((await h.run('control', 'fault', 'add', 'meteor')).code, 2);
  assert.is((await h.run('control', 'fault', 'add', 'boot-fail', '--count', 'zero')).code, 2);
  await h.ok('control', 'fault', 'add', 'boot-fail');
  await h.ok('control', 'fault', 'add', 'guest-no-agent', '--match', 'x');
  assert.is((await h.ok('control', 'fault', 'list')).trim().split('\n').length, 2);
  await h.ok('control', 'fault', 'clear', 'boot-fail');
  assert.match(await h.ok('control', 'fault', 'list'), /guest-no-agent/);
  await h.ok('control', 'fault', 'clear');
  assert.is(await h.ok('control', 'fault', 'list'), '');
  const envHost = newHost({ HELIOS_ILLUMOS_SIM_FAULTS: 'destroy-busy@tank/' });
  try {
    for (let i = 0; i < 3; i++) assert.match((await envHost.run('zfs', 'destroy', 'tank/x')).stderr, /dataset is busy/);
  } finally {
    await envHost.cleanup();
  }
});

test.run();
