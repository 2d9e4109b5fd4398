import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { Store } from '../../src/store/store.js';
import { migrate, schemaVersionOf } from '../../src/store/migrate.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/migrations/index.js';
import * as m001 from '../../src/store/migrations/001_initial.js';
import { createRun, tempDir } from '../helpers/storeFixtures.js';

test('migration 1 is frozen (its SQL must never change once released)', () => {
  const hash = createHash('sha256').update(m001.sql).digest('hex');
  assert.is(hash, FROZEN_001, 'migration 001 changed; add a new migration instead of editing a released one');
});

test('a new store is created at the latest version, in WAL mode with a busy timeout', () => {
  const t = tempDir();
  try {
    const store = Store.open({ path: t.dbPath, busyTimeoutMs: 1234 });
    assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
    assert.is(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.is(store.db.pragma('busy_timeout', { simple: true }), 1234);
    const versions = store.db.prepare('SELECT version, name FROM schema_version ORDER BY version').all();
    assert.equal(versions, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    store.close();
  } finally {
    t.cleanup();
  }
});

test('a store created at migration 1 opens with the newer code, upgrades, and keeps its data', () => {
  const t = tempDir();
  try {
    const old = Store.open({ path: t.dbPath, migrations: MIGRATIONS.slice(0, 1) });
    assert.is(old.schemaVersion, 1);
    assert.not.ok(old.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'queue_messages'").get(), 'migration 2 ran early');
    const { jobIds } = createRun(old, ['build']);
    old.logs.append(jobIds[0]!, [{ step: 1, stream: 'stdout', ts: 1, text: 'kept across the upgrade' }]);
    old.close();

    const store = Store.open(t.dbPath);
    assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
    assert.is(store.jobs.get(jobIds[0]!)!.state, 'queued');
    assert.is(store.logs.read(jobIds[0]!)[0]!.text, 'kept across the upgrade');
    assert.ok(store.queue.publish('j1', ['x']), 'the table added by migration 2 works');
    store.close();
    // Reopening at the latest version is a no-op.
    const again = Store.open(t.dbPath);
    assert.is(again.db.prepare('SELECT count(*) FROM schema_version').pluck().get(), LATEST_SCHEMA_VERSION);
    again.close();
  } finally {
    t.cleanup();
  }
});

test('migration 4 moves artifacts to one row per run and name: newest wins, rows without bytes go', () => {
  const t = tempDir();
  try {
    const old = Store.open({ path: t.dbPath, migrations: MIGRATIONS.slice(0, 3) });
    const { runId, jobIds } = createRun(old, ['build', 'test']);
    const put = old.db.prepare('INSERT INTO artifacts (job_id, name, size, storage_id, created_at) VALUES (?, ?, ?, ?, ?)');
    put.run(jobIds[0], 'dist', 10, 'blob-old', 1000);
    put.run(jobIds[1], 'dist', 20, 'blob-new', 2000);
    put.run(jobIds[0], 'report', 5, 'blob-report', 1500);
    put.run(jobIds[0], 'never-stored', 0, null, 1500);
    old.close();
    const store = Store.open(t.dbPath);
    assert.is(store.schemaVersion, LATEST_SCHEMA_VERSION);
    assert.not.ok(store.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'artifacts'").get(), 'the old table is gone');
    // Created in 1970, so long expired: read them whatever their expiry.
    const rows = ['dist', 'never-stored', 'report'].map((n) => store.artifacts.get(runId, n, 0)).filter((a) => a !== undefined);
    assert.equal(rows.map((a) => [a.name, a.jobId, a.blobId, a.size]), [
      ['dist', jobIds[1], 'blob-new', 20],
      ['report', jobIds[0], 'blob-report', 5],
    ]);
    assert.is(rows[0]!.expiresAt, 2000 + 90 * 86_400_000);
    store.close();
  } finally {
    t.cleanup();
  }
});

test('a database newer than the code is refused with E_STORE_TOO_NEW and left untouched', () => {
  const t = tempDir();
  try {
    Store.open(t.dbPath).close();
    const raw = new Database(t.dbPath);
    raw.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)').run(LATEST_SCHEMA_VERSION + 5, 'from-the-future', 0);
    raw.close();
    try {
      Store.open(t.dbPath);
      assert.unreachable('opened a newer database');
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_STORE_TOO_NEW');
      assert.match(err.message, /upgrade Helios/);
    }
    const check = new Database(t.dbPath);
    assert.is(schemaVersionOf(check), LATEST_SCHEMA_VERSION + 5);
    check.close();
  } finally {
    t.cleanup();
  }
});

test('a failing migration rolls back completely and reports E_STORE_MIGRATION', () => {
  const t = tempDir();
  try {
    Store.open(t.dbPath).close();
    const db = new Database(t.dbPath);
    const broken = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);' }];
    try {
      migrate(db, broken);
      assert.unreachable('the broken migration succeeded');
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_STORE_MIGRATION');
    }
    assert.is(schemaVersionOf(db), LATEST_SCHEMA_VERSION);
    assert.not.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").get(), 'a partial migration was left behind');
    db.close();
  } finally {
    t.cleanup();
  }
});

// sha256 of migration 001's SQL as released.
const FROZEN_001 = '84b0330db130fd8d37e18d79a6bf43a9d13df6fe9d6897180f91e5050317d3d9';

test.run();
