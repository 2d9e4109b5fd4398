// Several jobs provision at once: concurrent zonecfg/zoneadm/dladm invocations serialize on the
// state lock, so nothing is lost and a duplicate name is created exactly once. A lock left by a
// killed holder does not block the host forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobZoneFile, newHost, type Host } from './sim.js';

let h: Host;
test.before.each(() => {
  h = newHost();
});
test.after.each(() => h.cleanup());

test('six jobs configure, install and create VNICs at once: all land, each once', async () => {
  await h.ok('dladm', 'create-etherstub', 'helios0');
  const jobs = [1, 2, 3, 4, 5, 6];
  await Promise.all(
    jobs.map(async (n) => {
      await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', `job${n}v0`);
      const file = h.file(`j${n}.zcfg`, jobZoneFile({ zonepath: join(h.zones, `job-${n}`), dataset: `rpool/ci/job-${n}`, vnic: `job${n}v0` }));
      await h.ok('zonecfg', '-z', `job-${n}`, '-f', file);
      await h.ok('zoneadm', '-z', `job-${n}`, 'install');
    }),
  );
  const zones = (await h.ok('zoneadm', 'list', '-cp')).trim().split('\n').slice(1);
  assert.equal(zones.map((l) => l.split(':').slice(1, 3).join(':')).sort(), jobs.map((n) => `job-${n}:installed`));
  assert.equal((await h.ok('dladm', 'show-vnic', '-p', '-o', 'link')).trim().split('\n').sort(), jobs.map((n) => `job${n}v0`));
});

test('the same zone and VNIC created four times at once: exactly one of each succeeds', async () => {
  await h.ok('dladm', 'create-etherstub', 'helios0');
  const file = h.file('same.zcfg', jobZoneFile({ zonepath: join(h.zones, 'same'), dataset: 'rpool/ci/same', vnic: 'same0' }));
  const zonecfgs = await Promise.all([1, 2, 3, 4].map(() => h.run('zonecfg', '-z', 'same', '-f', file)));
  assert.is(zonecfgs.filter((r) => r.code === 0).length, 1, JSON.stringify(zonecfgs));
  assert.ok(zonecfgs.filter((r) => r.code === 1).every((r) => /already exists/.test(r.stderr)));
  const vnics = await Promise.all([1, 2, 3, 4].map(() => h.run('dladm', 'create-vnic', '-t', '-l', 'helios0', 'same0')));
  assert.is(vnics.filter((r) => r.code === 0).length, 1);
  const installs = await Promise.all([1, 2, 3].map(() => h.run('zoneadm', '-z', 'same', 'install')));
  assert.is(installs.filter((r) => r.code === 0).length, 1, 'one install; the others find it installed or installing');
});

test('a lock file left by a dead holder is broken; one held by a live process is waited for', async () => {
  mkdirSync(h.state, { recursive: true });
  writeFileSync(join(h.state, 'lock'), '999999999');
  await h.ok('dladm', 'create-etherstub', 'helios0');
  writeFileSync(join(h.state, 'lock'), String(process.pid));
  const waiting = h.run('dladm', 'create-etherstub', 'helios1');
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(await h.ok('dladm', 'show-etherstub', 'helios1').catch(() => 'absent'), 'absent', 'blocked while the live holder has the lock');
  const { rmSync } = await import('node:fs');
  rmSync(join(h.state, 'lock'));
  assert.is((await waiting).code, 0);
  assert.match(await h.ok('dladm', 'show-etherstub'), /helios1/);
});

test.run();
