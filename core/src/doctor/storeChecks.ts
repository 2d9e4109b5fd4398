import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { doctorError, doctorOk, type DoctorCheck } from '@helios-ci/sdk';
import { LATEST_SCHEMA_VERSION } from '../store/migrations/index.js';

/** The store's `PRAGMA integrity_check` and schema version, read-only (safe while serving). */
export function storeChecks(path: string): DoctorCheck[] {
  if (!existsSync(path)) return [doctorOk('store', `no store yet at ${path}; helios serve creates it`)];
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    return [doctorError('store', `cannot open ${path}: ${(err as Error).message}`, `check its owner and mode (the user Helios runs as must read and write it), or restore a backup: helios restore <file>`)];
  }
  try {
    db.pragma('busy_timeout = 5000');
    const result = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    const checks: DoctorCheck[] = [];
    if (result.length === 1 && result[0] === 'ok') checks.push(doctorOk('store integrity', `${path}: PRAGMA integrity_check ok`));
    else checks.push(doctorError('store integrity', `${path}: ${result.slice(0, 5).join('; ')}`, 'stop helios serve and restore the latest good backup (helios restore <file>); keep the damaged file for inspection'));
    const hasVersions = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
    const version = hasVersions ? ((db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0) : 0;
    if (version > LATEST_SCHEMA_VERSION) checks.push(doctorError('store schema', `${path} is at schema version ${version}, this Helios knows up to ${LATEST_SCHEMA_VERSION}`, 'upgrade Helios, or restore a backup taken before the upgrade'));
    else checks.push(doctorOk('store schema', `schema version ${version} (this Helios: ${LATEST_SCHEMA_VERSION}${version < LATEST_SCHEMA_VERSION ? '; helios serve migrates it' : ''})`));
    return checks;
  } catch (err) {
    return [doctorError('store integrity', `${path}: ${(err as Error).message}`, 'stop helios serve and restore the latest good backup (helios restore <file>)')];
  } finally {
    db.close();
  }
}
