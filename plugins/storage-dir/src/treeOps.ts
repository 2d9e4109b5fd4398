import { execFile } from 'node:child_process';
import { chmod, cp, lstat, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';

/** GNU cp's `--reflink=auto`: a constant-time copy on btrfs/XFS, a plain copy elsewhere. */
let gnuCp: boolean | undefined;

function runCp(src: string, dst: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // `src/.` copies the directory's contents (not a symlink named src) into the existing dst.
    execFile('cp', ['-a', '--reflink=auto', '--', `${src}/.`, dst], { maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      reject(Object.assign(err, { stderr: String(stderr) }));
    });
  });
}

const NOT_GNU_CP = /reflink|illegal option|unrecognized option|invalid option|unknown option/i;

/**
 * Copies the contents of directory `src` into the existing, empty directory `dst`, keeping modes,
 * times and symlinks. Uses `cp -a --reflink=auto` (argv, no shell) when cp is GNU cp, Node's fs.cp
 * otherwise (illumos, BSD, macOS cp take no --reflink).
 */
export async function copyTree(src: string, dst: string): Promise<void> {
  if (gnuCp !== false) {
    try {
      await runCp(src, dst);
      gnuCp = true;
      return;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      const missingOrForeign = e.code === 'ENOENT' || (gnuCp === undefined && NOT_GNU_CP.test(e.stderr ?? ''));
      if (!missingOrForeign) {
        throw new HeliosError('E_STORAGE_FAILED', `storage-dir: copying ${src} to ${dst} failed: ${(e.stderr ?? e.message).trim().slice(0, 2000)}`, {
          cause: err,
          facts: { src, dst },
        });
      }
      gnuCp = false;
    }
  }
  try {
    await cp(src, dst, { recursive: true, force: false, errorOnExist: true, preserveTimestamps: true, verbatimSymlinks: true });
  } catch (err) {
    throw new HeliosError('E_STORAGE_FAILED', `storage-dir: copying ${src} to ${dst} failed: ${(err as Error).message}`, { cause: err, facts: { src, dst } });
  }
}

/**
 * Removes a tree, also one a job made read-only (Go's module cache has 0555 directories, which a
 * plain recursive rm cannot empty): on EACCES/EPERM it makes every directory writable and tries again.
 */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw err;
    await makeDirsWritable(path);
    await rm(path, { recursive: true, force: true });
  }
}

async function makeDirsWritable(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  await chmod(path, 0o700).catch(() => {});
  const entries = await readdir(path).catch(() => [] as string[]);
  for (const name of entries) await makeDirsWritable(join(path, name));
}

/** Makes a rename or create inside `dir` durable (the directory entry itself is on disk). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
