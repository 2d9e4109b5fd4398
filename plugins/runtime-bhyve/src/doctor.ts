import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { doctorError, doctorOk, doctorWarning, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { execRunner, type CommandRunner } from './commands.js';
import type { BhyveConfig } from './config.js';

/** Rights profiles that carry what zonecfg/zoneadm/dladm/zfs need (zone and link management, ZFS). */
const SUFFICIENT_PROFILES = ['Primary Administrator', 'System Administrator'];
const NEEDED_PROFILES = ['Zone Management', 'Network Link Management', 'ZFS File System Management'];

function executable(command: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = isAbsolute(command) ? [command] : (env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // next candidate
    }
  }
  return null;
}

/**
 * What a user may run the zone commands with: root, or a rights profile that carries them.
 * `profiles` lists the user's profiles on illumos; anywhere else only root counts.
 */
async function privilegeCheck(run: CommandRunner, uid: number | undefined): Promise<DoctorCheck> {
  if (uid === 0) return doctorOk('privileges', 'running as root');
  const fix = "run helios as root (the SMF manifest does), or give the helios user the profiles: usermod -P 'Zone Management,Network Link Management,ZFS File System Management' helios";
  if (!existsSync('/usr/bin/profiles')) return doctorError('privileges', `uid ${uid ?? '?'} is not root and this host has no profiles(1)`, fix);
  const r = await run(['/usr/bin/profiles']);
  const have = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (SUFFICIENT_PROFILES.some((p) => have.includes(p))) return doctorOk('privileges', `profile ${SUFFICIENT_PROFILES.find((p) => have.includes(p))}`);
  const missing = NEEDED_PROFILES.filter((p) => !have.includes(p));
  if (missing.length === 0) return doctorOk('privileges', `profiles ${NEEDED_PROFILES.join(', ')}`);
  return doctorError('privileges', `missing rights profiles: ${missing.join(', ')}`, fix);
}

export interface BhyveDoctorOptions {
  run?: CommandRunner;
  env?: NodeJS.ProcessEnv;
  uid?: number;
}

/**
 * `helios doctor` for bhyve: the four commands, the privileges to use them, every image's dataset
 * and snapshot, the etherstub, the zonepath root. Each read-only (list/show), each its own verdict.
 */
export async function bhyveDoctor(ctx: DoctorContext<BhyveConfig>, o: BhyveDoctorOptions = {}): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const run = o.run ?? execRunner;
  const env = o.env ?? process.env;
  const checks: DoctorCheck[] = [];
  const missing = new Set<string>();
  for (const [name, command] of Object.entries(c.commands)) {
    const found = executable(command, env);
    if (found) checks.push(doctorOk(`command ${name}`, found));
    else {
      missing.add(name);
      checks.push(doctorError(`command ${name}`, `${command} is not an executable`, `this runtime needs an illumos host with bhyve zones (OmniOS: pkg install system/zones/brand/bhyve); or set commands.${name}`));
    }
  }
  checks.push(await privilegeCheck(run, o.uid ?? process.getuid?.()));
  if (!missing.has('zfs')) {
    for (const [label, image] of Object.entries(c.images)) {
      const snap = `${image.dataset}@${image.snapshot}`;
      const ds = await run([c.commands.zfs, 'list', '-H', '-o', 'name', image.dataset]);
      if (ds.code !== 0) {
        checks.push(doctorError(`image ${label}`, `dataset ${image.dataset} does not exist`, `build the image: helios image build --from <cloud image> --label ${image.dataset.split('/').at(-1)} (or zfs create -V ... ${image.dataset})`));
        continue;
      }
      const r = await run([c.commands.zfs, 'list', '-H', '-o', 'name', '-t', 'snapshot', snap]);
      if (r.code === 0 && r.stdout.trim() === snap) checks.push(doctorOk(`image ${label}`, snap));
      else checks.push(doctorError(`image ${label}`, `snapshot ${snap} does not exist`, `snapshot the image (zfs snapshot ${snap}) or set images.${label}.snapshot to one that exists (zfs list -t snapshot ${image.dataset})`));
    }
  }
  const stub = c.network.etherstub;
  if (stub && !missing.has('dladm')) {
    const r = await run([c.commands.dladm, 'show-link', '-p', '-o', 'class', stub]);
    if (r.code === 0 && r.stdout.trim() === 'etherstub') checks.push(doctorOk('etherstub', `${stub} exists`));
    else checks.push(doctorError('etherstub', r.code === 0 ? `${stub} is a ${r.stdout.trim()}, not an etherstub` : `${stub} does not exist`, `dladm create-etherstub ${stub} (and the NAT setup in docs/install-omnios.md)`));
  }
  if (!existsSync(c.zonepathRoot)) checks.push(doctorError('zonepath root', `${c.zonepathRoot} does not exist`, `create it: mkdir -m 755 ${c.zonepathRoot} (owned by root), or zfs create -o mountpoint=${c.zonepathRoot} rpool/zones`));
  else {
    const st = statSync(c.zonepathRoot);
    if ((st.mode & 0o022) !== 0) checks.push(doctorWarning('zonepath root', `${c.zonepathRoot} is group- or world-writable`, `chmod go-w ${c.zonepathRoot}`));
    else checks.push(doctorOk('zonepath root', c.zonepathRoot));
  }
  return checks;
}
