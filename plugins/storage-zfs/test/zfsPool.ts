/**
 * Real ZFS for tests: a file-backed zfs-fuse pool of its own per call, destroyed afterwards.
 *
 *   import { withZfsPool, zfsTest } from '<storage-zfs>/dist/test/zfsPool.js';
 *   const t = zfsTest(test);              // test, or a failing test saying how to get zfs-fuse when it is missing
 *   t('clones', () => withZfsPool(async ({ parent, zfs, mountpoint }) => { ... }));
 *
 * The daemon is started when `zpool list` cannot reach it (`zfs-fuse --pidfile`, default
 * /run/zfs-fuse.pid, or HELIOS_ZFS_FUSE_PIDFILE) and left running: other test processes on the
 * machine may be using it. Pool names are unique per process and call.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basename } from 'node:path';
import type { Test } from 'uvu';
import { requireComponent } from '@helios-ci/sdk/testkit';

export { requireComponent };

export const INSTALL_HINT = 'install it with "apt-get install -y zfs-fuse" (Debian/Ubuntu; needs root and /dev/fuse); .ci/run does this in CI';

export interface ZfsPool {
  /** The pool's name (unique to this call). */
  pool: string;
  /** A dataset for the code under test (`<pool>/ci`), mounted under `mountpoint`. */
  parent: string;
  /** Where the pool's root dataset is mounted; the parent is at `<mountpoint>/ci`. */
  mountpoint: string;
  /** Runs `zfs ARGS` (argv, no shell); stdout. */
  zfs(...args: string[]): Promise<string>;
  zpool(...args: string[]): Promise<string>;
}

export interface ZfsPoolOptions {
  /** Size of the backing file (sparse); default 512 MiB. */
  sizeBytes?: number;
}

const SEARCH = ['/usr/sbin', '/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(':')];
const which = (cmd: string) => SEARCH.map((d) => join(d, cmd)).find((p) => existsSync(p)) ?? null;

/** Why real ZFS tests cannot run here, or null when they can. */
export function zfsFuseMissing(): string | null {
  for (const cmd of ['zfs-fuse', 'zfs', 'zpool']) if (!which(cmd)) return `${cmd} not found; ${INSTALL_HINT}`;
  if (process.getuid?.() !== 0) return `zfs-fuse tests need root (zpool create); run them as root (CI does)`;
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return `/dev/fuse is missing or not accessible; zfs-fuse needs FUSE (a container needs --device /dev/fuse)`;
  }
  return null;
}

/**
 * `test` when zfs-fuse can run; otherwise every test registered through it fails with the reason and
 * how to fix it (a missing system component is a failure, never a skip: `.ci/run` installs it).
 */
export function zfsTest(test: Test): Test {
  return requireComponent(test, zfsFuseMissing());
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(which(cmd) ?? cmd, args, { env: { ...process.env, LC_ALL: 'C' }, timeout: 120_000, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the zfs-fuse daemon unless `zpool list` already reaches one. */
export async function ensureZfsDaemon(): Promise<void> {
  const up = () => run('zpool', ['list']).then(() => true, () => false);
  if (await up()) return;
  const pidfile = process.env.HELIOS_ZFS_FUSE_PIDFILE ?? '/run/zfs-fuse.pid';
  try {
    execFileSync(which('zfs-fuse')!, ['--pidfile', pidfile], { stdio: 'ignore' });
  } catch {
    // Another test process may have started it a moment ago; the wait below decides.
  }
  for (let i = 0; i < 100; i++) {
    if (await up()) return;
    await sleep(100);
  }
  throw new Error(`zfs-fuse did not answer within 10 s after "zfs-fuse --pidfile ${pidfile}"; check syslog and /dev/fuse`);
}

let counter = 0;

/** A fresh pool and parent dataset; `destroy()` removes the pool and its file. Prefer `withZfsPool`. */
export async function createZfsPool(options: ZfsPoolOptions = {}): Promise<ZfsPool & { destroy(): Promise<void> }> {
  await ensureZfsDaemon();
  const dir = mkdtempSync(join(tmpdir(), 'helios-zfs-'));
  const image = join(dir, 'pool.img');
  const mountpoint = join(dir, 'mnt');
  const pool = `helios${process.pid}x${++counter}x${Math.random().toString(36).slice(2, 6)}`;
  const destroy = async () => {
    await destroyPool(pool);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(image, '');
    execFileSync('truncate', ['-s', String(options.sizeBytes ?? 512 * 1024 * 1024), image]);
    await run('zpool', ['create', '-m', mountpoint, pool, image]);
    await run('zfs', ['create', `${pool}/ci`]);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { pool, parent: `${pool}/ci`, mountpoint, zfs: (...args) => (args[0] === 'destroy' ? destroyRetryingBusy(args) : run('zfs', args)), zpool: (...args) => run('zpool', args), destroy };
}

/** Runs `fn` with a fresh pool and parent dataset; destroys the pool and its file afterwards. */
export async function withZfsPool<T>(fn: (pool: ZfsPool) => Promise<T>, options: ZfsPoolOptions = {}): Promise<T> {
  const pool = await createZfsPool(options);
  try {
    return await fn(pool);
  } finally {
    await pool.destroy();
  }
}

/** A test's own `zfs destroy`: zfs-fuse calls a dataset busy for a while after its last user left (loaded machine). */
async function destroyRetryingBusy(args: string[]): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run('zfs', args);
    } catch (err) {
      if (!/dataset is busy/.test(String((err as Error).message)) || attempt >= 40) throw err;
      await sleep(250);
    }
  }
}

/** `zpool destroy -f`, retried while zfs-fuse still calls a just-unmounted dataset busy. */
async function destroyPool(pool: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await run('zpool', ['destroy', '-f', pool]);
      return;
    } catch (err) {
      const message = String((err as Error).message);
      if (/no such pool/.test(message)) return;
      // zfs-fuse can take a while to let go of a mount on a loaded machine: up to ~30 s.
      if (attempt >= 60) throw err;
      await sleep(500);
    }
  }
}
