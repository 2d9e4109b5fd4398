// zoneadm boot on real zfs-fuse: the brand's checks, cloud-init user-data run as the guest's first
// boot from the cloned disk, the console on bhyve's single-client socket, halt and teardown.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@helios-ci/sdk/testkit';
import { pidAlive } from '../src/state.js';
import { consoleClient, destroyDataset, newHost } from './sim.js';
import { goldenImage, prepareJob, withZfsPool, zfsTest } from './zfsHost.js';

const t = zfsTest(test);
/** A file's text, or '' while it does not exist yet (the guest creates its logs on first output). */
const readIf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');

const BOOTSTRAP = '#!/bin/sh\necho "bootstrap for job one"\nexec sh "${HELIOS_GUEST_ROOT:-}/opt/agent.sh" one-job-token\n';

t('boot runs the bootstrap from the clone; the console streams it; halt kills the guest; teardown leaves nothing', () =>
  withZfsPool(async ({ parent, mountpoint, zfs }) => {
    const h = newHost({ HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '1500' });
    try {
      await goldenImage(h, parent, mountpoint);
      const job = await prepareJob(h, parent, mountpoint, 1, BOOTSTRAP);
      await h.ok('dladm', 'set-linkprop', '-t', '-p', 'protection=mac-nospoof,ip-nospoof', job.vnic);
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const c = await consoleClient(job.console);
      await waitFor('the agent on the console', () => c.text().includes('agent started with token one-job-token'));
      const text = c.text();
      assert.ok(text.indexOf('BdsDxe: loading') < text.indexOf('bootstrap for job one'), text);
      assert.match(text, /bootstrap for job one\r\n/, 'a serial console ends lines in CRLF');
      const running = (await h.ok('zoneadm', 'list', '-cp')).split('\n')[1]!.split(':');
      assert.equal([running[1], running[2]], [job.zone, 'running']);
      assert.match(running[0]!, /^\d+$/);
      // The brand's seed: meta-data with the zone's uuid, the user-data unchanged, network-config.
      const seed = join(job.zonepath, 'root', 'cloud-init');
      assert.is(readFileSync(join(seed, 'user-data'), 'utf8'), BOOTSTRAP);
      assert.match(readFileSync(join(seed, 'meta-data'), 'utf8'), new RegExp(`instance-id: ${running[4]}\nlocal-hostname: ${job.zone}\n`));
      assert.match(readFileSync(join(seed, 'network-config'), 'utf8'), /addresses: \[10\.77\.0\.34\/24\]/);
      assert.is(statSync(join(seed, 'user-data')).mode & 0o777, 0o600);
      assert.match(readFileSync(join(job.zonepath, 'log', 'zone.log'), 'utf8'), /bhyve brand: \/usr\/sbin\/bhyve .* -l com1,socket,\/tmp\/vm\.com1 helios-job1/);
      assert.match(readFileSync(join(job.zonepath, 'root', 'tmp', 'init.log'), 'utf8'), /console .* listening/);
      assert.match(readFileSync(join(job.guestRoot, 'var', 'log', 'cloud-init-output.log'), 'utf8'), /agent started/);
      const agentPid = Number(await waitFor('agent pid', () => existsSync(join(job.guestRoot, 'agent.pid')) && readFileSync(join(job.guestRoot, 'agent.pid'), 'utf8').trim()));
      assert.ok(pidAlive(agentPid));
      // While running: no uninstall, no VNIC deletion, no second boot.
      let r = await h.run('zoneadm', '-z', job.zone, 'uninstall', '-F');
      assert.is(r.code, 1);
      assert.match(r.stderr, /invalid for running zones/);
      assert.is((await h.run('dladm', 'delete-vnic', job.vnic)).code, 1);
      assert.is((await h.run('zoneadm', '-z', job.zone, 'boot')).code, 1);
      assert.match(await h.ok('dladm', 'show-vnic', '-p', '-o', 'link,zone'), new RegExp(`${job.vnic}:${job.zone}`));
      // Teardown in the order of the facts file.
      await h.ok('zoneadm', '-z', job.zone, 'halt');
      await waitFor('the console to hang up', () => c.closed());
      assert.not.ok(pidAlive(agentPid), 'halt kills the guest process group');
      assert.not.ok(existsSync(job.console));
      await h.ok('zoneadm', '-z', job.zone, 'uninstall', '-F');
      await h.ok('zonecfg', '-z', job.zone, 'delete', '-F');
      await h.ok('dladm', 'delete-vnic', job.vnic);
      await destroyDataset(h, job.dataset);
      assert.is(await h.ok('zoneadm', 'list', '-cp'), '0:global:running:/::ipkg:shared\n');
      assert.is(await h.ok('dladm', 'show-vnic', '-p', '-o', 'link'), '');
      assert.not.match(await zfs('list', '-H', '-o', 'name', '-r', parent), /jobs\/job1/);
      assert.not.ok(existsSync(job.zonepath));
    } finally {
      await h.cleanup();
    }
  }),
);

t('one console client at a time; what the guest prints while nobody is connected is lost', () =>
  withZfsPool(async ({ parent, mountpoint }) => {
    const h = newHost();
    try {
      await goldenImage(h, parent, mountpoint);
      const gate = (name: string) => `while [ ! -f "$HELIOS_GUEST_ROOT/${name}" ]; do sleep 0.1; done`;
      const job = await prepareJob(h, parent, mountpoint, 2, `#!/bin/sh\n${gate('go1')}\necho early-line\n${gate('go2')}\necho late-line\n${gate('go3')}\necho third-line\nexec sleep 1000\n`);
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(job.guestRoot, 'go1'), '');
      await waitFor('early-line in the guest log', () => readIf(join(job.guestRoot, 'var/log/cloud-init-output.log')).includes('early-line'));
      const a = await consoleClient(job.console);
      const b = await consoleClient(job.console);
      await waitFor('the second client to be closed', () => b.closed());
      writeFileSync(join(job.guestRoot, 'go2'), '');
      await waitFor('late-line on the first client', () => a.text().includes('late-line'));
      assert.not.ok(a.text().includes('early-line'), 'output before the client connected was dropped');
      assert.not.ok(a.closed());
      a.close();
      await waitFor('the first client to be gone', () => a.closed());
      // The slot is free again once the server has seen the first client leave (retry until it has).
      let c = await consoleClient(job.console);
      for (let attempt = 0; attempt < 50; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        if (!c.closed()) break;
        c = await consoleClient(job.console);
      }
      assert.not.ok(c.closed(), 'a new client is accepted after the first left');
      writeFileSync(join(job.guestRoot, 'go3'), '');
      await waitFor('third-line on the new client', () => c.text().includes('third-line'));
      c.close();
      await h.ok('zoneadm', '-z', job.zone, 'halt');
    } finally {
      await h.cleanup();
    }
  }),
);

t('#cloud-config: write_files under the guest root, runcmd with argv lists; a reboot does not run user scripts again', () =>
  withZfsPool(async ({ parent, mountpoint }) => {
    const h = newHost({ HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '1000' });
    try {
      await goldenImage(h, parent, mountpoint);
      const userData = [
        '#cloud-config',
        'write_files:',
        '  - path: /etc/helios/agent.env',
        '    permissions: "0600"',
        '    content: |',
        '      HELIOS_ENDPOINT=https://10.77.0.1:7443',
        '      HELIOS_TOKEN=one-job-token',
        '  - path: /etc/helios/b64',
        '    encoding: b64',
        `    content: ${Buffer.from('decoded ok').toString('base64')}`,
        'runcmd:',
        '  - echo runcmd-ran >> "$HELIOS_GUEST_ROOT/runs"',
        '  - [sh, -c, "echo argv list with spaces; cat \\"$HELIOS_GUEST_ROOT/etc/helios/b64\\""]',
        '',
      ].join('\n');
      const job = await prepareJob(h, parent, mountpoint, 3, userData);
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const runs = join(job.guestRoot, 'runs');
      await waitFor('runcmd', () => existsSync(runs));
      const env = join(job.guestRoot, 'etc', 'helios', 'agent.env');
      assert.is(readFileSync(env, 'utf8'), 'HELIOS_ENDPOINT=https://10.77.0.1:7443\nHELIOS_TOKEN=one-job-token\n');
      assert.is(statSync(env).mode & 0o777, 0o600);
      await waitFor('the second runcmd', () => readIf(join(job.guestRoot, 'var/log/cloud-init-output.log')).includes('argv list with spaces\ndecoded ok'));
      await h.ok('zoneadm', '-z', job.zone, 'reboot');
      const c = await consoleClient(job.console);
      await waitFor('the reboot to reach the login prompt', () => c.text().includes('login:'));
      assert.match(c.text(), /Cloud-init .* finished/);
      c.close();
      assert.is(readFileSync(runs, 'utf8'), 'runcmd-ran\n', 'same instance id: per-instance scripts ran once');
      assert.match(await h.ok('zoneadm', 'list', '-cp'), /helios-job3:running/);
      await h.ok('zoneadm', '-z', job.zone, 'halt');
    } finally {
      await h.cleanup();
    }
  }),
);

t('boot refuses what the brand refuses: exit 1, the reason in zone.log, the zone stays installed', () =>
  withZfsPool(async ({ parent, mountpoint }) => {
    const h = newHost();
    try {
      await goldenImage(h, parent, mountpoint);
      const job = await prepareJob(h, parent, mountpoint, 4, BOOTSTRAP);
      const cases: [string, RegExp][] = [
        ['remove device match=/dev/zvol/rdsk/' + job.dataset, /has no device resource/],
        ['add attr; set name=priv.debug; set type=string; set value=on; end', /unknown attribute/],
        ['select attr name=console; set value=socket,/tmp/vm.com1,wait; end', /accepts no options after the path/],
        ['select attr name=vcpus; set value=zero; end', /attr vcpus/],
        ['select attr name=ram; set value=lots; end', /attr ram/],
        ['select attr name=bootrom; set value=SEABIOS; end', /attr bootrom/],
        ['select attr name=cloud-init; set value=/nonexistent/user-data; end', /does not exist/],
        [`select attr name=bootdisk; set value=${parent}/jobs; end; add device; set match=/dev/zvol/rdsk/${parent}/jobs; end`, /is not a volume/],
        ['select net physical=' + job.vnic + '; set physical=gone0; end', /link gone0 does not exist/],
      ];
      const good = await h.ok('zonecfg', '-z', job.zone, 'export');
      for (const [change, reason] of cases) {
        await h.ok('zonecfg', '-z', job.zone, change);
        const r = await h.run('zoneadm', '-z', job.zone, 'boot');
        assert.is(r.code, 1, change);
        assert.match(r.stderr, /boot failed/);
        assert.match(readFileSync(join(job.zonepath, 'log', 'zone.log'), 'utf8'), reason);
        assert.match(await h.ok('zoneadm', 'list', '-cp'), /helios-job4:installed/);
        // Back to the good configuration (create -F is refused for an installed zone, so undo by hand).
        for (const type of ['attr', 'device', 'net']) await h.run('zonecfg', '-z', job.zone, `remove -F ${type}`);
        await h.ok('zonecfg', '-z', job.zone, good.replace(/^create -b\n(set (zonepath|brand)=.*\n)*/m, '').split('\n').filter((l) => !/^set (zonepath|brand|autoboot|ip-type)=/.test(l)).join('; '));
      }
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      await h.ok('zoneadm', '-z', job.zone, 'halt');
    } finally {
      await h.cleanup();
    }
  }),
);

t.run();
