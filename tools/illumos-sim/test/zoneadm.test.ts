// zoneadm's state machine and list formats without booting (boot is in boot.test.ts, on zfs-fuse).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { jobZoneFile, newHost, type Host } from './sim.js';

let h: Host;
test.before.each(() => {
  h = newHost();
});
test.after.each(() => h.cleanup());

const configure = (zone: string, zonepath = join(h.zones, zone)) =>
  h.ok('zonecfg', '-z', zone, '-f', h.file(`${zone}.zcfg`, jobZoneFile({ zonepath, dataset: `rpool/ci/${zone}`, vnic: 'v0' })));

test('configured → install → installed (uuid, zonepath 700 with root/) → uninstall -F → configured', async () => {
  await configure('ci-1');
  assert.is(await h.ok('zoneadm', 'list', '-cp'), `0:global:running:/::ipkg:shared\n-:ci-1:configured:${h.zones}/ci-1::bhyve:excl\n`);
  assert.is(await h.ok('zoneadm', 'list', '-p'), '0:global:running:/::ipkg:shared\n', 'without -c only running zones');
  await h.ok('zoneadm', '-z', 'ci-1', 'install');
  const line = (await h.ok('zoneadm', 'list', '-cp')).split('\n')[1]!;
  const fields = line.split(':');
  assert.equal(fields.slice(0, 4), ['-', 'ci-1', 'installed', `${h.zones}/ci-1`]);
  assert.match(fields[4]!, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(fields.slice(5), ['bhyve', 'excl']);
  assert.is(statSync(join(h.zones, 'ci-1')).mode & 0o777, 0o700);
  assert.ok(existsSync(join(h.zones, 'ci-1', 'root', 'tmp')));
  assert.match(await h.ok('zoneadm', 'list', '-ip'), /ci-1:installed/);
  assert.match(await h.ok('zoneadm', 'list', '-cv'), /ID +NAME +STATUS +PATH +BRAND +IP/);
  assert.is(await h.ok('zoneadm', '-z', 'ci-1', 'list', '-p'), line + '\n');
  let r = await h.run('zoneadm', '-z', 'ci-1', 'install');
  assert.is(r.code, 1, 'install of an installed zone');
  r = await h.run('zoneadm', '-z', 'ci-1', 'uninstall');
  assert.is(r.code, 1, 'uninstall without -F cannot ask');
  await h.ok('zoneadm', '-z', 'ci-1', 'uninstall', '-F');
  assert.not.ok(existsSync(join(h.zones, 'ci-1')), 'the zonepath install made is gone');
  assert.match(await h.ok('zoneadm', 'list', '-cp'), /^-:ci-1:configured:[^:]+::bhyve:excl$/m);
});

test('refusals: boot of a configured zone, uninstall of a configured zone, halt before install, unknown zone, usage', async () => {
  await configure('ci-2');
  let r = await h.run('zoneadm', '-z', 'ci-2', 'boot');
  assert.is(r.code, 1);
  assert.match(r.stderr, /must be installed before boot/);
  r = await h.run('zoneadm', '-z', 'ci-2', 'uninstall', '-F');
  assert.is(r.code, 1);
  r = await h.run('zoneadm', '-z', 'ci-2', 'halt');
  assert.is(r.code, 1);
  r = await h.run('zoneadm', '-z', 'nosuch', 'install');
  assert.is(r.code, 1);
  assert.match(r.stderr, /nosuch: No such zone configured/);
  assert.is((await h.run('zoneadm')).code, 2);
  assert.is((await h.run('zoneadm', 'boot')).code, 2);
  assert.is((await h.run('zoneadm', '-z', 'ci-2', 'fly')).code, 2);
  assert.is((await h.run('zoneadm', 'list', '-x')).code, 2);
  assert.is((await h.run('zoneadm', '-z', 'global', 'halt')).code, 1);
});

test('zonepath rules: a group/world-writable parent, a symlink, an existing root/ are refused at install', async () => {
  const open = join(h.dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await configure('ci-3', join(open, 'ci-3'));
  let r = await h.run('zoneadm', '-z', 'ci-3', 'install');
  assert.is(r.code, 1);
  assert.match(r.stderr, /group or world writable/);
  assert.match(await h.ok('zoneadm', 'list', '-cp'), /ci-3:configured/, 'a refused install leaves the zone configured');
  mkdirSync(join(h.zones, 'ci-4', 'root'), { recursive: true });
  await configure('ci-4');
  r = await h.run('zoneadm', '-z', 'ci-4', 'install');
  assert.is(r.code, 1);
  assert.match(r.stderr, /root already exists/);
});

test('halt of an installed zone is a no-op; verify reports the brand problems of a zone whose disk and VNIC are missing', async () => {
  await configure('ci-5');
  await h.ok('zoneadm', '-z', 'ci-5', 'install');
  await h.ok('zoneadm', '-z', 'ci-5', 'halt');
  const r = await h.run('zoneadm', '-z', 'ci-5', 'verify');
  assert.is(r.code, 1);
  assert.match(r.stderr, /link v0 does not exist/);
  assert.match(r.stderr, /zvol rpool\/ci\/ci-5 does not exist/);
});

test.run();
