// Boot faults on real zfs-fuse: a boot failure with its logs, a guest whose user-data never runs,
// a guest that powers off (the zone is found halted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@helios-ci/sdk/testkit';
import { consoleClient, newHost } from './sim.js';
import { goldenImage, prepareJob, withZfsPool, zfsTest } from './zfsHost.js';

const t = zfsTest(test);
const BOOTSTRAP = '#!/bin/sh\nexec sh "${HELIOS_GUEST_ROOT:-}/opt/agent.sh" tok\n';

t('boot-fail (once), guest-no-agent, guest-crash', () =>
  withZfsPool(async ({ parent, mountpoint }) => {
    const h = newHost({ HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '1000' });
    try {
      await goldenImage(h, parent, mountpoint);
      const job = await prepareJob(h, parent, mountpoint, 1, BOOTSTRAP);
      await h.ok('control', 'fault', 'add', 'boot-fail', '--match', job.zone, '--count', '1');
      const r = await h.run('zoneadm', '-z', job.zone, 'boot');
      assert.is(r.code, 1);
      assert.match(r.stderr, /boot failed/);
      assert.match(readFileSync(join(job.zonepath, 'log', 'zone.log'), 'utf8'), /bhyve exited with status 4/);
      assert.match(readFileSync(join(job.zonepath, 'root', 'tmp', 'init.log'), 'utf8'), /failed to allocate guest memory/);
      assert.match(await h.ok('zoneadm', 'list', '-cp'), /helios-job1:installed/);

      await h.ok('control', 'fault', 'add', 'guest-no-agent', '--count', '1');
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const c = await consoleClient(job.console);
      await waitFor('cloud-init giving up', () => c.text().includes('No datasource found'));
      await waitFor('the login prompt', () => c.text().includes('login:'));
      assert.not.ok(existsSync(join(job.guestRoot, 'agent.pid')), 'the user-data never ran');
      await h.ok('zoneadm', '-z', job.zone, 'halt');

      await h.ok('control', 'fault', 'add', 'guest-crash', '--seconds', '1', '--count', '1');
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      await waitFor('the zone to be found halted after the guest powered off', () => {
        const s = JSON.parse(readFileSync(join(h.state, 'zones', `${job.zone}.json`), 'utf8')) as { vmPid?: number };
        try {
          if (s.vmPid) process.kill(s.vmPid, 0);
          return false;
        } catch {
          return true;
        }
      });
      assert.match(await h.ok('zoneadm', 'list', '-cp'), /-:helios-job1:installed/);
      assert.match(readFileSync(join(job.zonepath, 'log', 'zone.log'), 'utf8'), /bhyve exited; zone halted/);
    } finally {
      await h.cleanup();
    }
  }),
);

t.run();
