import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/** The data dir holds the database, the admin token and repository mirrors: its owner only. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) mode 700, or tightens an existing one that others can read;
 * returns the mode it had when it was tightened, so the caller can say so in its log.
 */
export function ensurePrivateDir(dir: string): { tightenedFrom?: number } {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // mkdir's mode is filtered by the umask; the directory itself must end up exactly 700.
    chmodSync(dir, PRIVATE_DIR_MODE);
    return {};
  }
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return {};
  chmodSync(dir, mode & 0o700);
  return { tightenedFrom: mode };
}

/** Creates `file` empty with mode 600 if missing (so SQLite's -wal/-shm inherit 600), or tightens it. */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tightenFile(file);
}

/** Removes group/other bits from a file that exists (missing files are fine). */
export function tightenFile(file: string): void {
  try {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) chmodSync(file, mode & 0o700);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Creates `dir` (and missing parents) mode 700 if missing; an existing directory is left as it is. */
export function createPrivateDir(dir: string): void {
  if (!existsSync(dir)) ensurePrivateDir(dir);
}
