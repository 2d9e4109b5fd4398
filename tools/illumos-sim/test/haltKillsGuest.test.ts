// A real VM halt ends every process of the guest. The simulator's guest processes are host processes:
// a guest agent starts its steps in sessions of their own (setsid), out of the VM's process group, so
// halt must find them (descendants of the VM, or anything working inside the guest root) and kill
// them; otherwise their working directory keeps the job's clone busy and teardown cannot destroy it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@helios-ci/sdk/testkit';
import { destroyDataset, newHost } from './sim.js';
import { goldenImage, prepareJob, withZfsPool, zfsTest } from './zfsHost.js';

const t = zfsTest(test);

/** Alive and not a zombie (kill(pid, 0) succeeds on zombies too). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const BOOTSTRAP = `#!/bin/sh
cd "$HELIOS_GUEST_ROOT"
# A step the way the agent starts one: its own session, working inside the guest.
setsid sh -c 'echo $$ > step.pid; exec sleep 1000' &
# Its own session and a working directory outside the guest root, but still a descendant of the VM.
(cd / && exec setsid sh -c 'echo $$ > "$HELIOS_GUEST_ROOT/outside.pid"; exec sleep 1000') &
# Its own session, its parent gone (re-parented away from the VM), working inside the guest.
sh -c 'setsid sh -c "echo \\$\\$ > orphan.pid; exec sleep 1000" & exit 0'
echo bootstrap-done
exec sleep 1000
`;

t('halt kills every guest process, also those in sessions of their own; the clone is then destroyable', () =>
  withZfsPool(async ({ parent, mountpoint, zfs }) => {
    const h = newHost({ HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '0' });
    try {
      await goldenImage(h, parent, mountpoint);
      const job = await prepareJob(h, parent, mountpoint, 7, BOOTSTRAP);
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const pidOf = (name: string) => {
        const f = join(job.guestRoot, name);
        const text = existsSync(f) ? readFileSync(f, 'utf8').trim() : '';
        return /^\d+$/.test(text) ? Number(text) : 0;
      };
      const pids = await waitFor('the three detached processes', () => {
        const ps = ['step.pid', 'outside.pid', 'orphan.pid'].map(pidOf);
        return ps.every((p) => p > 0 && alive(p)) && ps;
      });
      await h.ok('zoneadm', '-z', job.zone, 'halt');
      for (const pid of pids) assert.not.ok(alive(pid), `guest process ${pid} survived the halt`);
      await h.ok('zoneadm', '-z', job.zone, 'uninstall', '-F');
      await h.ok('zonecfg', '-z', job.zone, 'delete', '-F');
      await h.ok('dladm', 'delete-vnic', job.vnic);
      await destroyDataset(h, job.dataset);
      assert.not.match(await zfs('list', '-H', '-o', 'name', '-r', parent), /jobs\/job7/);
    } finally {
      await h.cleanup();
    }
  }),
);

t('a VM that died takes its guest processes with it (found halted by the next command)', () =>
  withZfsPool(async ({ parent, mountpoint }) => {
    const h = newHost({ HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '0' });
    try {
      await goldenImage(h, parent, mountpoint);
      const job = await prepareJob(h, parent, mountpoint, 8, BOOTSTRAP);
      await h.ok('zoneadm', '-z', job.zone, 'boot');
      const step = await waitFor('the step', () => {
        const f = join(job.guestRoot, 'step.pid');
        const pid = existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
        return pid > 0 && alive(pid) && pid;
      });
      const vmPid = Number(/bhyve pid (\d+)/.exec(readFileSync(join(job.zonepath, 'log', 'zone.log'), 'utf8'))![1]);
      process.kill(vmPid, 'SIGKILL');
      await waitFor('the VM to die', () => !alive(vmPid));
      assert.match(await h.ok('zoneadm', 'list', '-cp'), `:${job.zone}:installed:`);
      await waitFor('the step to be killed', () => !alive(step), 10_000);
      await h.ok('zoneadm', '-z', job.zone, 'uninstall', '-F');
    } finally {
      await h.cleanup();
    }
  }),
);

test.run();
