/**
 * The real zfs (zfs-fuse on Linux) behind the simulator. Volumes, which zfs-fuse lacks, are real
 * filesystems carrying the user property `illumos-sim:volsize`; the sim's `zfs` wrapper presents
 * them as type `volume`, and the VM uses the filesystem's mountpoint as the guest's disk.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export const VOLSIZE_PROP = 'illumos-sim:volsize';

/** The real zfs: $HELIOS_ILLUMOS_SIM_REAL_ZFS, else the first `zfs` in sbin/PATH that is not our wrapper. */
export function realZfsPath(): string {
  const configured = process.env.HELIOS_ILLUMOS_SIM_REAL_ZFS;
  if (configured) return configured;
  const dirs = ['/usr/sbin', '/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const d of dirs) {
    const p = join(d, 'zfs');
    if (!existsSync(p)) continue;
    try {
      if (readFileSync(realpathSync(p), 'utf8').slice(0, 400).includes('illumos-sim')) continue;
    } catch {
      /* unreadable: a binary, fine */
    }
    return p;
  }
  return 'zfs';
}

export interface ZfsResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runZfs(args: string[]): Promise<ZfsResult> {
  return new Promise((resolve) => {
    execFile(realZfsPath(), args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout, stderr: stderr || (err && code === 127 ? String(err.message) : '') });
    });
  });
}

export function runZfsSync(args: string[]): ZfsResult {
  try {
    const stdout = execFileSync(realZfsPath(), args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string; message: string };
    return { code: e.status ?? 127, stdout: e.stdout ?? '', stderr: e.stderr || e.message };
  }
}

export interface DatasetFacts {
  volsize: string | null;
  mountpoint: string;
  mounted: boolean;
}

/** What the VM needs to know of a disk's dataset, or null when it does not exist. */
export async function datasetFacts(dataset: string): Promise<DatasetFacts | null> {
  const r = await runZfs(['get', '-H', '-o', 'property,value', `${VOLSIZE_PROP},mountpoint,mounted`, dataset]);
  if (r.code !== 0) return null;
  const props = new Map(r.stdout.trim().split('\n').map((l) => l.split('\t') as [string, string]));
  const volsize = props.get(VOLSIZE_PROP);
  return { volsize: volsize && volsize !== '-' ? volsize : null, mountpoint: props.get('mountpoint') ?? '-', mounted: props.get('mounted') === 'yes' };
}
