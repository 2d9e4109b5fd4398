import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import { LATEST_SCHEMA_VERSION } from '../store/migrations/index.js';

/** The tables every Helios store has had since schema version 1. */
const CORE_TABLES = ['schema_version', 'runs', 'jobs', 'log_lines'];

export interface StoreFileFacts {
  version: number;
  counts: { runs: number; jobs: number; logLines: number; logChunks: number };
}

/**
 * Checks that `path` is a Helios store this Helios can use: an SQLite file, with Helios's tables, a
 * schema no newer than the code, and a clean `PRAGMA integrity_check`.
 */
export function inspectStoreFile(path: string): StoreFileFacts {
  if (!existsSync(path)) throw new HeliosError('E_RESTORE_NOT_FOUND', `${path} does not exist; give the file helios backup wrote`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new HeliosError('E_RESTORE_NOT_A_STORE', `${path} cannot be opened as SQLite (${(err as Error).message}); give a file helios backup wrote`, { cause: err });
  }
  try {
    let tables: string[];
    try {
      tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    } catch (err) {
      throw new HeliosError('E_RESTORE_NOT_A_STORE', `${path} is not an SQLite database (${(err as Error).message}); give a file helios backup wrote`, { cause: err });
    }
    const missing = CORE_TABLES.filter((t) => !tables.includes(t));
    if (missing.length) throw new HeliosError('E_RESTORE_NOT_A_STORE', `${path} is an SQLite database but not a Helios store (no ${missing.join(', ')} table); give a file helios backup wrote`);
    const version = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    if (version > LATEST_SCHEMA_VERSION) {
      throw new HeliosError('E_RESTORE_TOO_NEW', `${path} is at schema version ${version}, but this Helios knows up to ${LATEST_SCHEMA_VERSION}; upgrade Helios first, then restore`, { facts: { version, supported: LATEST_SCHEMA_VERSION } });
    }
    const result = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    if (result.length !== 1 || result[0] !== 'ok') throw new HeliosError('E_RESTORE_DAMAGED', `${path} fails PRAGMA integrity_check: ${result.slice(0, 3).join('; ')}; use an older backup`);
    const count = (table: string) => (tables.includes(table) ? (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n : 0);
    return { version, counts: { runs: count('runs'), jobs: count('jobs'), logLines: count('log_lines'), logChunks: count('log_chunks') } };
  } finally {
    db.close();
  }
}
