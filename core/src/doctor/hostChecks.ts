import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { doctorError, doctorOk, doctorWarning, type DoctorCheck } from '@helios-ci/sdk';

/** Free space below these is a warning / an error: logs, caches and the WAL need room. */
export const FREE_WARNING_BYTES = 1024 ** 3;
export const FREE_ERROR_BYTES = 100 * 1024 ** 2;

export function nodeCheck(version = process.versions.node): DoctorCheck {
  const major = Number(version.split('.')[0]);
  if (major >= 20) return doctorOk('node', `Node ${version}`);
  return doctorError('node', `Node ${version} is too old; Helios needs Node ≥ 20`, 'install Node 20 or newer (OmniOS: pkg install ooce/runtime/node-20; Debian: the NodeSource node_20.x packages) and put it first on PATH');
}

export function gitCheck(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  return new Promise((resolve) => {
    execFile('git', ['--version'], { env, timeout: 10_000, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        resolve(doctorError('git', missing ? 'git is not on PATH' : `git --version failed: ${err.message}`, 'install git (OmniOS: pkg install developer/versioning/git; Debian: apt-get install git)'));
      } else resolve(doctorOk('git', stdout.trim()));
    });
  });
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** The nearest directory that exists (the data dir itself, or where it will be created). */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Writable (by really writing), free space; the store's integrity is checked separately. */
export function dataDirChecks(dir: string): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const fixWritable = `make ${dir} writable by the user Helios runs as (chown helios ${dir}; chmod 700 ${dir}), or set server.dataDir`;
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    return [doctorError('data dir writable', `${dir} is not a directory`, `remove it or set server.dataDir to a directory`)];
  }
  const probeIn = existsSync(dir) ? dir : existingAncestor(dir);
  try {
    accessSync(probeIn, constants.W_OK);
    const probe = mkdtempSync(join(probeIn, '.helios-doctor-'));
    writeFileSync(join(probe, 'probe'), 'x');
    rmSync(probe, { recursive: true, force: true });
    checks.push(existsSync(dir) ? doctorOk('data dir writable', `${dir} is writable`) : doctorWarning('data dir writable', `${dir} does not exist yet; ${probeIn} is writable, so helios serve will create it`, `nothing to do, or create it now: mkdir -m 700 ${dir}`));
  } catch (err) {
    checks.push(doctorError('data dir writable', `${probeIn} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fixWritable));
  }
  try {
    const fs = statfsSync(probeIn);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const message = `${formatBytes(free)} free on the file system of ${probeIn}`;
    if (free < FREE_ERROR_BYTES) checks.push(doctorError('data dir free space', message, `free space there (helios logs prune; helios cache prune) or move server.dataDir to a bigger file system`));
    else if (free < FREE_WARNING_BYTES) checks.push(doctorWarning('data dir free space', message, `free space there (helios logs prune; helios cache prune) or move server.dataDir; below ${formatBytes(FREE_ERROR_BYTES)} is an error`));
    else checks.push(doctorOk('data dir free space', message));
  } catch (err) {
    checks.push(doctorWarning('data dir free space', `cannot read the free space of ${probeIn}: ${(err as Error).message}`, 'check the file system with df'));
  }
  return checks;
}
