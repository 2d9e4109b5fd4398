/**
 * A simulated host on a real zfs-fuse pool: an image "zvol" (emulated by the sim's zfs) holding a
 * tiny guest, snapshotted, and a job's clone of it; an etherstub and a VNIC for the job.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'uvu';
import { jobZoneFile, type Host } from './sim.js';

type ZfsPoolModule = typeof import('../../../plugins/storage-zfs/dist/test/zfsPool.js');
// The helper is imported from its compiled place: dist/test is one level deeper than test/.
const zfsPool = (await import(new URL('../../../../plugins/storage-zfs/dist/test/zfsPool.js', import.meta.url).href)) as ZfsPoolModule;

export const zfsTest = (test: Test) => zfsPool.zfsTest(test);
export const withZfsPool = zfsPool.withZfsPool;

export interface Job {
  zone: string;
  dataset: string;
  vnic: string;
  zonepath: string;
  guestRoot: string;
  console: string;
}

/** The golden image: `<parent>/images/golden@v1`, a volume whose disk holds opt/agent.sh. */
export async function goldenImage(h: Host, parent: string, mountpoint: string): Promise<string> {
  await h.ok('zfs', 'create', '-p', `${parent}/images`);
  await h.ok('zfs', 'create', '-V', '64M', `${parent}/images/golden`);
  const root = join(mountpoint, 'ci', 'images', 'golden');
  mkdirSync(join(root, 'opt'), { recursive: true });
  // The "agent": says it started, records its pid, and runs until the VM is halted.
  writeFileSync(join(root, 'opt', 'agent.sh'), '#!/bin/sh\necho "agent started with token $1"\necho $$ > "$HELIOS_GUEST_ROOT/agent.pid"\nexec sleep 1000\n', { mode: 0o755 });
  await h.ok('zfs', 'snapshot', `${parent}/images/golden@v1`);
  await h.ok('zfs', 'create', `${parent}/jobs`);
  return `${parent}/images/golden@v1`;
}

/** Clones the image for a job, creates its VNIC, configures and installs its zone. */
export async function prepareJob(h: Host, parent: string, mountpoint: string, n: number, userData: string, extra = ''): Promise<Job> {
  const zone = `helios-job${n}`;
  const dataset = `${parent}/jobs/job${n}`;
  const vnic = `helios${n}v0`;
  await h.ok('zfs', 'clone', `${parent}/images/golden@v1`, dataset);
  if (!(await h.run('dladm', 'show-etherstub', 'helios0')).stdout.includes('helios0')) await h.ok('dladm', 'create-etherstub', 'helios0');
  await h.ok('dladm', 'create-vnic', '-t', '-l', 'helios0', vnic);
  const zonepath = join(h.zones, zone);
  const cloudInit = h.file(`job${n}.user-data`, userData);
  await h.ok('zonecfg', '-z', zone, '-f', h.file(`${zone}.zcfg`, jobZoneFile({ zonepath, dataset, vnic, cloudInit, extra })));
  await h.ok('zoneadm', '-z', zone, 'install');
  return { zone, dataset, vnic, zonepath, guestRoot: join(mountpoint, 'ci', 'jobs', `job${n}`), console: join(zonepath, 'root', 'tmp', 'vm.com1') };
}
