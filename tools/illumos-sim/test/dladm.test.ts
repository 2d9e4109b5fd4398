// dladm: libdladm's link name rules, VNICs only over existing non-VNIC links, the parsable
// show-vnic format, link protection, and a VNIC in use by a running zone cannot be deleted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newHost, type Host } from './sim.js';

let h: Host;
test.before.each(() => {
  h = newHost();
});
test.after.each(() => h.cleanup());

test('VNIC names: up to 31 characters, not starting with a digit, ending with a digit, [A-Za-z0-9_.]', async () => {
  await h.ok('dladm', 'create-etherstub', 'helios0');
  for (const good of ['cijob1v0', 'a_b.c9', 'x'.repeat(30) + '1']) await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', good);
  for (const bad of ['cijobv', '0job1', 'x'.repeat(31) + '1', 'job-1', 'a;b1', 'vnic 1', '']) {
    const r = await h.run('dladm', 'create-vnic', '-t', '-l', 'helios0', bad);
    assert.is(r.code, 1, `${bad} should be refused`);
  }
  const r = await h.run('dladm', 'create-etherstub', 'stub');
  assert.is(r.code, 1);
  assert.match(r.stderr, /invalid link name/);
});

test('create-vnic needs an existing link that is not a VNIC; names are unique', async () => {
  let r = await h.run('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v0');
  assert.is(r.code, 1);
  assert.match(r.stderr, /invalid link name 'helios0'/);
  await h.ok('dladm', 'create-etherstub', 'helios0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v0');
  r = await h.run('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v0');
  assert.is(r.code, 1);
  assert.match(r.stderr, /already exists/);
  r = await h.run('dladm', 'create-vnic', '-t', '-l', 'v0', 'v1');
  assert.is(r.code, 1);
  r = await h.run('dladm', 'create-vnic', '-l', 'helios0');
  assert.is(r.code, 1);
  await h.ok('control', 'phys', 'add', 'igb0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'igb0', 'v2');
  r = await h.run('dladm', 'delete-etherstub', 'helios0');
  assert.is(r.code, 1);
  assert.match(r.stderr, /busy/);
});

test('show-vnic -p -o: colon-separated, colons in values escaped; -p without -o refused; delete-vnic', async () => {
  await h.ok('dladm', 'create-etherstub', 'helios0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', '-m', '2:8:20:aa:bb:1', 'v0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v1');
  assert.is(await h.ok('dladm', 'show-vnic', '-p', '-o', 'link'), 'v0\nv1\n');
  assert.is(await h.ok('dladm', 'show-vnic', '-p', '-o', 'link,over,macaddress', 'v0'), 'v0:helios0:2\\:8\\:20\\:aa\\:bb\\:1\n');
  assert.is((await h.run('dladm', 'show-vnic', '-p')).code, 1);
  assert.match(await h.ok('dladm', 'show-vnic'), /^LINK +OVER +SPEED/);
  await h.ok('dladm', 'delete-vnic', 'v0');
  assert.is(await h.ok('dladm', 'show-vnic', '-p', '-o', 'link'), 'v1\n');
  const r = await h.run('dladm', 'delete-vnic', 'v0');
  assert.is(r.code, 1);
  assert.match(r.stderr, /object not found/);
  assert.is((await h.run('dladm', 'show-vnic', 'v0')).code, 1);
});

test('link protection: set-linkprop -p protection=mac-nospoof,ip-nospoof and allowed-ips; bad values refused', async () => {
  await h.ok('dladm', 'create-etherstub', 'helios0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', 'v0');
  await h.ok('dladm', 'set-linkprop', '-t', '-p', 'protection=mac-nospoof,ip-nospoof,allowed-ips=10.77.0.34', 'v0');
  assert.is(await h.ok('dladm', 'show-linkprop', '-c', '-o', 'value', '-p', 'protection', 'v0'), 'mac-nospoof,ip-nospoof\n');
  assert.is(await h.ok('dladm', 'show-linkprop', '-c', '-o', 'value', '-p', 'allowed-ips', 'v0'), '10.77.0.34\n');
  for (const bad of ['protection=nospoof', 'colour=red', 'allowed-ips=not-an-ip']) {
    assert.is((await h.run('dladm', 'set-linkprop', '-t', '-p', bad, 'v0')).code, 1, bad);
  }
  assert.is((await h.run('dladm', 'set-linkprop', '-t', '-p', 'protection=mac-nospoof', 'nosuch0')).code, 1);
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', '-p', 'protection=mac-nospoof', 'v1');
  assert.is(await h.ok('dladm', 'show-linkprop', '-c', '-o', 'value', '-p', 'protection', 'v1'), 'mac-nospoof\n');
});

test.run();
