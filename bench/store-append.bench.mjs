// `npm run bench -- store-append`: appends 200,000 build-log-sized lines to a job through the
// store's LogRepo (batches of 1,000), and as the same-run baseline appends the same rows with one
// plain prepared single-row INSERT per line inside one transaction per batch on an identical table
// (same pragmas). Best of 3 rounds each. Prints one JSON line. Moved here from a test that asserted a
// rate (tests check behaviour; a shared machine makes any timed assertion fail at random).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../core/dist/src/store/store.js';
import { createRun } from '../core/dist/test/helpers/storeFixtures.js';

const LINES = 200_000;
const BATCH = 1000;
const ROUNDS = 3;
const text = 'npm WARN deprecated some-package@1.0.0: this line is about as long as a typical build log line';
const batches = Array.from({ length: LINES / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => ({ step: 1, stream: 'stdout', ts: b * BATCH + i, text })));

function timeIt(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function heliosRound() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-append-'));
  const store = Store.open({ path: join(dir, 'helios.db') });
  try {
    const jobId = createRun(store, ['bench']).jobIds[0];
    const seconds = timeIt(() => { for (const b of batches) store.logs.append(jobId, b); });
    if (store.logs.lastSeq(jobId) !== LINES) throw new Error(`helios stored ${store.logs.lastSeq(jobId)} lines, expected ${LINES}`);
    return seconds;
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function bareRound() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-append-'));
  const db = new Database(join(dir, 'bare.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE log_lines (job_id TEXT NOT NULL, seq INTEGER NOT NULL, step INTEGER, stream TEXT, ts INTEGER, text TEXT, PRIMARY KEY (job_id, seq)) WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO log_lines VALUES (?, ?, ?, ?, ?, ?)');
    let seq = 0;
    const tx = db.transaction((lines) => { for (const l of lines) insert.run('job', ++seq, l.step, l.stream, l.ts, l.text); });
    const seconds = timeIt(() => { for (const b of batches) tx(b); });
    if (db.prepare('SELECT count(*) FROM log_lines').pluck().get() !== LINES) throw new Error('baseline lost rows');
    return seconds;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const helios = [];
const bare = [];
for (let r = 0; r < ROUNDS; r++) {
  bare.push(bareRound());
  helios.push(heliosRound());
  process.stderr.write(`round ${r + 1}/${ROUNDS}: bare ${bare.at(-1).toFixed(2)} s, helios ${helios.at(-1).toFixed(2)} s\n`);
}
const best = (xs) => Math.min(...xs);
const heliosRate = Math.round(LINES / best(helios));
const bareRate = Math.round(LINES / best(bare));
console.log(JSON.stringify({ bench: 'store-append', lines: LINES, batch: BATCH, rounds: ROUNDS, heliosLinesPerSec: heliosRate, baselineLinesPerSec: bareRate, ratio: Math.round((heliosRate / bareRate) * 100) / 100 }));
