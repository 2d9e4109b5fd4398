// zonecfg through its executable: the facts file's command file, export round trips, scope
// commands, and what illumos refuses — each refusal exits 1 and leaves the stored config untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { jobZoneFile, newHost, type Host } from './sim.js';

let h: Host;
test.before.each(() => {
  h = newHost();
});
test.after.each(() => h.cleanup());

const zoneFile = () => h.file('job.zcfg', jobZoneFile({ zonepath: join(h.zones, 'ci-job-1234'), dataset: 'rpool/ci/job-1234', vnic: 'cijob1234v0' }));

test('the facts file command file is accepted; export reproduces it and round-trips', async () => {
  await h.ok('zonecfg', '-z', 'ci-job-1234', '-f', zoneFile());
  const exported = await h.ok('zonecfg', '-z', 'ci-job-1234', 'export');
  assert.ok(exported.startsWith('create -b\n'), exported);
  assert.match(exported, /set brand=bhyve\n/);
  assert.match(exported, /add device\nset match=\/dev\/zvol\/rdsk\/rpool\/ci\/job-1234\nend\n/);
  assert.match(exported, /set name=bootdisk\nset type=string\nset value="?rpool\/ci\/job-1234,serial=JOB1234"?\n/);
  await h.ok('zonecfg', '-z', 'copy1', '-f', h.file('copy.zcfg', exported));
  assert.is(await h.ok('zonecfg', '-z', 'copy1', 'export'), exported);
  const info = await h.ok('zonecfg', '-z', 'ci-job-1234', 'info', 'attr');
  assert.match(info, /attr:\n\tname: ram\n\ttype: string\n\tvalue: 4G\n/);
  assert.match(await h.ok('zoneadm', 'list', '-cp'), new RegExp(`^-:ci-job-1234:configured:${h.zones}/ci-job-1234::bhyve:excl$`, 'm'));
});

test('inline commands: select … end changes one attr, remove drops another, quoting keeps blanks and ;', async () => {
  await h.ok('zonecfg', '-z', 'z1', '-f', zoneFile());
  await h.ok('zonecfg', '-z', 'z1', 'select attr name=ram; set value=8G; end; remove attr name=resolvers; add attr; set name=extra; set type=string; set value="-s 9,foo;bar baz"; end');
  const exported = await h.ok('zonecfg', '-z', 'z1', 'export');
  assert.match(exported, /set name=ram\nset type=string\nset value=8G\n/);
  assert.not.match(exported, /resolvers/);
  assert.match(exported, /set value="-s 9,foo;bar baz"\n/);
  // stdin works like a file
  const r = await h.run('zonecfg', '-z', 'z1', 'info', 'net');
  assert.is(r.code, 0);
  assert.match(r.stdout, /physical: cijob1234v0/);
});

const refusals: [string, string, RegExp][] = [
  ['unknown property in a resource', 'add attr\nset nmae=ram\nend', /nmae: unknown property/],
  ['unknown resource type', 'add nic\nend', /unknown resource type 'nic'/],
  ['attr without a value', 'add attr\nset name=ram\nset type=string\nend', /attr: value not specified/],
  ['device without match', 'add device\nend', /device: match not specified/],
  ['attr of an unknown type', 'add attr\nset name=ram\nset type=text\nset value=1G\nend', /invalid type 'text'/],
  ['an int attr that is not an int', 'add attr\nset name=n\nset type=int\nset value=ten\nend', /not an int/],
  ['duplicate attr name', 'add attr\nset name=ram\nset type=string\nset value=1G\nend', /attr resource with the name 'ram' already exists/],
  ['duplicate device', 'add device\nset match=/dev/zvol/rdsk/rpool/ci/job-1234\nend', /already exists/],
  ['a resource not ended', 'add attr\nset name=x', /not ended/],
  ['an unknown command', 'frobnicate', /unknown command 'frobnicate'/],
  ['address on an exclusive-IP net', 'add net\nset physical=other0\nset address=10.0.0.1/24\nend', /address cannot be specified for an exclusive IP type/],
  ['bad autoboot', 'set autoboot=maybe', /autoboot: invalid value/],
  ['unknown brand', 'set brand=xen', /unknown brand/],
  ['set without =', 'set autoboot false', /syntax error/],
  ['unterminated quote', 'set bootargs="abc', /unterminated/],
];

for (const [what, commands, message] of refusals) {
  test(`refused: ${what} (exit 1, nothing committed)`, async () => {
    await h.ok('zonecfg', '-z', 'z1', '-f', zoneFile());
    const before = await h.ok('zonecfg', '-z', 'z1', 'export');
    const file = h.file('bad.zcfg', `set autoboot=true\n${commands}\n`);
    const r = await h.run('zonecfg', '-z', 'z1', '-f', file);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /On line \d+ of /);
    assert.is(await h.ok('zonecfg', '-z', 'z1', 'export'), before, 'a failed run commits nothing (not even the autoboot before the error)');
  });
}

test('refused: create over an existing zone without -F; create -F replaces it', async () => {
  await h.ok('zonecfg', '-z', 'z1', '-f', zoneFile());
  const r = await h.run('zonecfg', '-z', 'z1', '-f', zoneFile());
  assert.is(r.code, 1);
  assert.match(r.stderr, /already exists; use 'create -F'/);
  await h.ok('zonecfg', '-z', 'z1', `create -F -b; set zonepath=${h.zones}/other; set brand=bhyve; set ip-type=exclusive; commit`);
  assert.match(await h.ok('zonecfg', '-z', 'z1', 'export'), /set zonepath=.*\/other\n/);
});

test('unknown zones, bad names and bad usage', async () => {
  const r = await h.run('zonecfg', '-z', 'nosuch', 'export');
  assert.is(r.code, 1);
  assert.match(r.stderr, /nosuch: No such zone configured/);
  for (const name of ['global', 'SUNWfoo', 'a;rm -rf x', '-x', 'x'.repeat(64), '.hidden']) {
    const bad = await h.run('zonecfg', '-z', name, 'create -b');
    assert.ok(bad.code === 1 || bad.code === 2, `${name}: ${bad.code}`);
  }
  assert.is((await h.run('zonecfg', 'export')).code, 2);
  assert.is((await h.run('zonecfg', '-z', 'z1', '-f')).code, 2);
  assert.is((await h.run('zonecfg', '-z', 'z1', '-f', join(h.dir, 'missing.zcfg'))).code, 1);
  assert.is((await h.run('zonecfg', '-z', 'x'.repeat(63), `create -b; set zonepath=${h.zones}/long; commit`)).code, 0, '63 characters is the limit, not over it');
});

test('verify: zonepath required, relative zonepath refused, shared IP cannot use a VNIC, bhyve needs exclusive IP', async () => {
  let r = await h.run('zonecfg', '-z', 'z2', 'create -b; set brand=bhyve; set ip-type=exclusive; verify');
  assert.is(r.code, 1);
  assert.match(r.stderr, /zonepath not specified/);
  r = await h.run('zonecfg', '-z', 'z2', 'create -b; set zonepath=zones/z2');
  assert.is(r.code, 1);
  assert.match(r.stderr, /absolute/);
  await h.ok('dladm', 'create-etherstub', 'helios0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v0');
  r = await h.run('zonecfg', '-z', 'z2', `create -b; set zonepath=${h.zones}/z2; set ip-type=shared; add net; set physical=v0; set address=10.0.0.2/24; end; commit`);
  assert.is(r.code, 1);
  assert.match(r.stderr, /v0 is a VNIC/);
  r = await h.run('zonecfg', '-z', 'z2', `create -b; set zonepath=${h.zones}/z2; set brand=bhyve; set ip-type=shared; commit`);
  assert.is(r.code, 1);
  assert.match(r.stderr, /bhyve zones need ip-type=exclusive/);
  assert.is((await h.run('zonecfg', '-z', 'z2', 'export')).code, 1, 'nothing was committed');
});

test('delete: -F needed, refused for an installed zone, then the zone is gone', async () => {
  await h.ok('zonecfg', '-z', 'z1', '-f', zoneFile());
  let r = await h.run('zonecfg', '-z', 'z1', 'delete');
  assert.is(r.code, 1);
  assert.match(r.stderr, /-F/);
  await h.ok('zoneadm', '-z', 'z1', 'install');
  r = await h.run('zonecfg', '-z', 'z1', 'delete', '-F');
  assert.is(r.code, 1);
  assert.match(r.stderr, /not in configured state/);
  r = await h.run('zonecfg', '-z', 'z1', 'select attr name=ram; set value=2G; end; set zonepath=/elsewhere');
  assert.is(r.code, 1);
  assert.match(r.stderr, /already installed; set zonepath not allowed/);
  await h.ok('zoneadm', '-z', 'z1', 'uninstall', '-F');
  await h.ok('zonecfg', '-z', 'z1', 'delete', '-F');
  assert.is(await h.ok('zoneadm', 'list', '-cp'), '0:global:running:/::ipkg:shared\n');
});

test.run();
