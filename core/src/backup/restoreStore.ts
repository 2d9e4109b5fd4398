import { copyFileSync, chmodSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';
import { dataDirHolder } from '../store/dataDirLock.js';
import { inspectStoreFile, type StoreFileFacts } from './storeFile.js';

export interface RestoreResult extends StoreFileFacts {
  /** Where the store that was replaced went (null: there was none). */
  previous: string | null;
}

/**
 * Puts a backup in place as `<dataDir>/helios.db`. Refuses while helios serve holds the data dir,
 * and any file that is not a Helios store this Helios can use. The replaced store (with its WAL) is
 * kept beside it as helios.db.before-restore-<time>, never deleted.
 */
export function restoreStore(dataDir: string, source: string, now = Date.now()): RestoreResult {
  const holder = dataDirHolder(dataDir);
  if (holder !== null) throw new HeliosError('E_DATA_DIR_LOCKED', `${dataDir} is in use by helios serve (pid ${holder}); stop it first (svcadm disable helios / systemctl stop helios), then restore`, { facts: { pid: holder } });
  const facts = inspectStoreFile(source);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = join(dataDir, 'helios.db');
  const incoming = join(dataDir, `.helios.db.restoring-${process.pid}`);
  copyFileSync(source, incoming);
  chmodSync(incoming, 0o600);
  let previous: string | null = null;
  if (existsSync(store)) {
    previous = `${store}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(store, previous);
    for (const suffix of ['-wal', '-shm']) if (existsSync(store + suffix)) renameSync(store + suffix, previous + suffix);
  }
  renameSync(incoming, store);
  return { ...facts, previous };
}
