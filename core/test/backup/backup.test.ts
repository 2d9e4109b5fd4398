// helios backup / restore through the real CLI: a backup taken while jobs write logs restores to a
// consistent store; restore refuses while helios serve holds the data dir, a file that is not a
// Helios store, and a store from a newer Helios.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHeliosServe } from '@helios-ci/sdk/testkit';
import { Store } from '../../src/store/index.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { createRun } from '../helpers/storeFixtures.js';

const CONFIG = 'server:\n  dataDir: ./data\n  listen: 127.0.0.1:0\n';

function project(): TempProject {
  const p = new TempProject();
  p.write('helios.yaml', CONFIG);
  return p;
}

test('a backup taken while jobs write logs restores to a consistent store', async () => {
  const live = project();
  const other = project();
  try {
    const store = Store.open({ path: join(live.dir, 'data/helios.db') });
    const { jobIds } = createRun(store, ['a', 'b', 'c']);
    let written = 0;
    let n = 0;
    // A writer as busy as serve's log batches, running during the whole backup.
    const writer = setInterval(() => {
      for (const id of jobIds) {
        store.logs.append(id, Array.from({ length: 20 }, (_, i) => ({ step: 1, stream: 'stdout' as const, ts: Date.now(), text: `line ${n}-${i} ${'x'.repeat(80)}` })));
        written += 20;
      }
      n++;
    }, 2);
    await new Promise((r) => setTimeout(r, 100));
    const before = written;
    const backup = join(other.dir, 'snapshot.db');
    let r;
    try {
      r = await runHelios(['backup', backup], { cwd: live.dir, timeoutMs: 60_000 });
    } finally {
      clearInterval(writer);
      store.close();
    }
    assert.is(r.code, 0, r.stderr);
    assert.ok(written > before, 'the jobs kept writing while the backup ran');
    assert.match(r.stdout, /^helios backup: .*snapshot\.db \(schema \d+; 1 runs, 3 jobs, \d+ live log lines, \d+ compacted log chunks\)\n$/);
    assert.is(statSync(backup).mode & 0o777, 0o600);

    const restored = await runHelios(['restore', backup], { cwd: other.dir });
    assert.is(restored.code, 0, restored.stderr);
    const db = new Database(join(other.dir, 'data/helios.db'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.is((db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n, 3);
      const lines = (db.prepare('SELECT count(*) AS n FROM log_lines').get() as { n: number }).n;
      assert.ok(lines >= before && lines <= written, `${before} <= ${lines} <= ${written}`);
      // Consistent: every job's lines are contiguous from 1 (no half-copied batch).
      for (const id of jobIds) {
        const row = db.prepare('SELECT count(*) AS n, coalesce(max(seq), 0) AS top, coalesce(min(seq), 1) AS low FROM log_lines WHERE job_id = ?').get(id) as { n: number; top: number; low: number };
        assert.is(row.low, 1);
        assert.is(row.top, row.n, `job ${id}: ${row.n} lines, last seq ${row.top}`);
        assert.is(row.n % 20, 0, 'whole batches only');
      }
    } finally {
      db.close();
    }
    // The restored store opens (and migrates) as serve would open it.
    Store.open({ path: join(other.dir, 'data/helios.db') }).close();
    const again = await runHelios(['backup', backup], { cwd: live.dir });
    assert.is(again.code, 1);
    assert.match(again.stderr, /^error E_BACKUP_EXISTS: /);
  } finally {
    live.cleanup();
    other.cleanup();
  }
});

test('restore refuses while helios serve holds the data dir, and works once it stopped', async () => {
  const p = project();
  try {
    Store.open({ path: join(p.dir, 'data/helios.db') }).close();
    const backup = join(p.dir, 'b.db');
    assert.is((await runHelios(['backup', backup], { cwd: p.dir })).code, 0);
    const serve = startHeliosServe(p.dir);
    try {
      await serve.url;
      const pid = Number(readFileSync(join(p.dir, 'data/serve.pid'), 'utf8'));
      assert.is(pid, serve.child.pid);
      const r = await runHelios(['restore', backup], { cwd: p.dir });
      assert.is(r.code, 1);
      assert.is(r.stderr, `error E_DATA_DIR_LOCKED: ${join(p.dir, 'data')} is in use by helios serve (pid ${pid}); stop it first (svcadm disable helios / systemctl stop helios), then restore\n`);
    } finally {
      await serve.stop();
    }
    assert.not.ok(existsSync(join(p.dir, 'data/serve.pid')), 'serve releases the data dir when it stops');
    const r = await runHelios(['restore', backup], { cwd: p.dir });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /the previous store is .*helios\.db\.before-restore-/);
  } finally {
    p.cleanup();
  }
});

test('restore refuses what is not a Helios store, or is from a newer Helios', async () => {
  const p = project();
  try {
    p.write('notes.txt', 'not a database at all\n'.repeat(100));
    let r = await runHelios(['restore', 'notes.txt'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^error E_RESTORE_NOT_A_STORE: .*notes\.txt is not an SQLite database/);

    const other = new Database(join(p.dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    r = await runHelios(['restore', 'other.db'], { cwd: p.dir });
    assert.match(r.stderr, /^error E_RESTORE_NOT_A_STORE: .*other\.db is an SQLite database but not a Helios store \(no schema_version, runs, jobs, log_lines table\)/);

    Store.open({ path: join(p.dir, 'newer.db') }).close();
    const newer = new Database(join(p.dir, 'newer.db'));
    newer.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (999, ?, 0)').run('from the future');
    newer.close();
    r = await runHelios(['restore', 'newer.db'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /^error E_RESTORE_TOO_NEW: .*newer\.db is at schema version 999, but this Helios knows up to \d+; upgrade Helios first/);
    assert.not.ok(existsSync(join(p.dir, 'data/helios.db')), 'nothing was put in place');
  } finally {
    p.cleanup();
  }
});

test.run();
