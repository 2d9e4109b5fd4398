import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { isOurVnic, jobIdOfZone, LINK_NAME, machineNames, ZONE_NAME } from '../src/names.js';
import { parseZoneList } from '../src/host.js';

test('a UUID job id gives a valid zone name and a VNIC name that ends in a digit and fits 31 characters', () => {
  const { zone, vnic } = machineNames('helios', '3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c');
  assert.is(zone, 'helios-3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c');
  assert.ok(ZONE_NAME.test(zone) && zone.length <= 63);
  assert.ok(LINK_NAME.test(vnic) && vnic.length <= 31 && /[0-9]$/.test(vnic), vnic);
  assert.ok(isOurVnic('helios', vnic));
  assert.not.ok(isOurVnic('other', vnic));
  assert.is(jobIdOfZone('helios', zone), '3f1c2a9e-8b7d-4c6e-9a1b-2d3e4f5a6b7c');
  assert.is(jobIdOfZone('helios', 'web-server'), null);
  assert.is(jobIdOfZone('heliosx', zone), null);
});

test('different jobs get different VNICs; the same job the same', () => {
  assert.is.not(machineNames('helios', 'j1').vnic, machineNames('helios', 'j2').vnic);
  assert.is(machineNames('helios', 'j1').vnic, machineNames('helios', 'j1').vnic);
});

test('job ids that cannot make a zone name are refused before any command', () => {
  for (const bad of ['a;rm -rf /', '../etc', 'a b', '-x', '', 'x'.repeat(60), 'a/b', '$(id)']) {
    assert.throws(() => machineNames('helios', bad), (e: unknown) => isHeliosError(e) && String(e.code) === 'E_BHYVE_NAME_INVALID', JSON.stringify(bad));
  }
});

test('zoneadm list -cp lines are parsed, escaped colons in the zonepath included', () => {
  const zones = parseZoneList('0:global:running:/::ipkg:shared\n-:helios-j1:installed:/zones/a\\:b:uuid:bhyve:excl\n12:helios-j2:running:/zones/helios-j2:uuid2:bhyve:excl\n');
  assert.equal(zones.map((z) => [z.name, z.state, z.zonepath, z.brand]), [
    ['global', 'running', '/', 'ipkg'],
    ['helios-j1', 'installed', '/zones/a:b', 'bhyve'],
    ['helios-j2', 'running', '/zones/helios-j2', 'bhyve'],
  ]);
});

test.run();
