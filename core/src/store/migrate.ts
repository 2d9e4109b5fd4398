import type { Database } from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** The version a database is at (0 for an empty database). */
export function schemaVersionOf(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings `db` up to the last of `migrations`, each migration in its own transaction (a failing one
 * leaves the database at the previous version). Refuses a database newer than the code, because
 * older code writing to a newer schema can corrupt data it does not know about.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now: () => number = Date.now): number {
  const target = migrations.length;
  const current = schemaVersionOf(db);
  if (current > target) {
    throw new HeliosError(
      'E_STORE_TOO_NEW',
      `the store ${db.name} is at schema version ${current}, but this Helios only knows up to ${target}; upgrade Helios (or restore a backup taken before the upgrade)`,
      { facts: { path: db.name, version: current, supported: target } },
    );
  }
  for (const m of migrations.slice(current)) {
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now());
      })();
    } catch (err) {
      throw new HeliosError('E_STORE_MIGRATION', `migration ${m.version} (${m.name}) failed on ${db.name}; the store stays at version ${m.version - 1}: ${(err as Error).message}`, { cause: err });
    }
  }
  return target;
}
