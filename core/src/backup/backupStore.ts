import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import { inspectStoreFile, type StoreFileFacts } from './storeFile.js';

/** better-sqlite3's largest step: the rest of the database at once. */
const ALL_PAGES = 0x7fffffff;

/**
 * An online copy of the store with SQLite's backup API (better-sqlite3 `db.backup`). Copied in small
 * steps, every write by helios serve between two steps restarts the copy, so a busy server would
 * never let it finish: after the first step everything is copied in one step, inside one read
 * transaction, which in WAL mode does not hold up serve's writers. The result is one
 * transaction-consistent snapshot, written beside the target, checked, then renamed.
 */
export async function backupStore(storePath: string, target: string): Promise<StoreFileFacts> {
  if (!existsSync(storePath)) throw new HeliosError('E_BACKUP_NO_STORE', `there is no store at ${storePath} (server.dataDir); nothing to back up`);
  if (existsSync(target)) throw new HeliosError('E_BACKUP_EXISTS', `${target} already exists; give a new file name (backups are never overwritten)`);
  const partial = join(dirname(target), `.${Date.now()}-${process.pid}.helios-backup.partial`);
  const db = new Database(storePath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    await db.backup(partial, { progress: () => ALL_PAGES });
  } catch (err) {
    rmSync(partial, { force: true });
    throw new HeliosError('E_BACKUP_FAILED', `backing up ${storePath} to ${target} failed: ${(err as Error).message}; check the target directory is writable and has room`, { cause: err });
  } finally {
    db.close();
  }
  try {
    chmodSync(partial, 0o600);
    const facts = inspectStoreFile(partial);
    renameSync(partial, target);
    return facts;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}
