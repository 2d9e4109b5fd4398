import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { LogMaintenance } from '../../src/store/logs/logMaintenance.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import type { LogLine } from '../../src/store/records.js';
import { Store } from '../../src/store/store.js';
import { createRun, tempDir } from '../helpers/storeFixtures.js';

/** The schema as it was before compacted logs: every migration before log_chunks. */
const BEFORE_LOG_CHUNKS = MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.name === 'log_chunks'));

const strip = (l: LogLine) => ({ seq: l.seq, step: l.step, stream: l.stream, ts: l.ts, text: l.text });

/** An old-schema database: three finished jobs with logs, one live job, one finished job without a log. */
function oldDatabase(path: string): { finished: string[]; live: string; silent: string } {
  const old = Store.open({ path, migrations: BEFORE_LOG_CHUNKS });
  try {
    assert.not.ok(old.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'log_chunks'").get(), 'the old schema has no chunk table');
    const ids = createRun(old, ['a', 'b', 'c', 'live', 'silent']).jobIds;
    for (const id of ids) {
      old.jobs.transition(id, 'provisioning');
      old.jobs.transition(id, 'running');
    }
    ids.slice(0, 4).forEach((id, j) => {
      for (let b = 0; b < 4; b++) {
        old.logs.append(id, Array.from({ length: 500 }, (_, i) => ({ step: b + 1, stream: i % 4 === 0 ? 'stderr' : 'stdout', ts: 1000 * j + b * 500 + i, text: `job ${j} step ${b + 1} line ${i}: cc -c src/f${i % 23}.c` })));
      }
    });
    for (const id of [ids[0]!, ids[1]!, ids[2]!, ids[4]!]) old.jobs.transition(id, 'succeeded');
    return { finished: ids.slice(0, 3), live: ids[3]!, silent: ids[4]! };
  } finally {
    old.close();
  }
}

function maintenance(store: Store, sink: MemoryLogSink): LogMaintenance {
  const logger = createLogger({ name: 'test', sink, redactor: new Redactor() });
  return new LogMaintenance({ store, events: createEventBus(logger), logger, retention: { maxAgeDays: 0, maxBytesPerRepository: 0 }, pruneIntervalMs: 3_600_000, progressEveryMs: 0 });
}

test('migration 005 on a database from the previous schema: finished logs compacted at start with progress, live logs stay rows, every read unchanged', async () => {
  const t = tempDir();
  try {
    const { finished, live, silent } = oldDatabase(t.dbPath);
    const store = Store.open(t.dbPath);
    try {
      assert.ok(store.logChunks.available());
      const before = new Map([...finished, live].map((id) => [id, store.logReader.read(id).map(strip)]));
      assert.is(before.get(finished[0]!)!.length, 2000);
      const sink = new MemoryLogSink();
      const m = maintenance(store, sink);
      m.start();
      await m.idle();
      await m.stop();
      for (const id of finished) {
        assert.is(store.logs.lastSeq(id), 0, 'rows of a finished job are gone');
        assert.is(store.logChunks.archive(id)!.lines, 2000);
        assert.equal(store.logReader.read(id).map(strip), before.get(id));
      }
      assert.is(store.logs.lastSeq(live), 2000, 'the live job keeps its rows');
      assert.is(store.logChunks.archive(live), undefined);
      assert.equal(store.logReader.read(live).map(strip), before.get(live));
      assert.is(store.logReader.lastSeq(silent), 0);
      const records = sink.lines.map((l) => JSON.parse(l) as { msg: string; jobs?: number | string });
      assert.ok(records.some((r) => r.msg === 'compacting the logs of finished jobs stored as lines' && r.jobs === 3), sink.lines.join(''));
      assert.ok(records.some((r) => r.msg === 'log compaction progress' && r.jobs === '1/3'), 'progress per job when asked for');
      assert.ok(records.some((r) => r.msg === 'log compaction done' && r.jobs === '3/3'));
    } finally {
      store.close();
    }
  } finally {
    t.cleanup();
  }
});

test('start-up compaction is resumable: a job that fails midway stays rows, the others are done, the next start finishes it', async () => {
  const t = tempDir();
  try {
    const { finished } = oldDatabase(t.dbPath);
    const first = Store.open(t.dbPath);
    const victim = first.logs.finishedJobsWithRows(['succeeded'])[1]!;
    const expected = first.logReader.read(victim).map(strip);
    // A crash in the middle of the second job's transaction (after its first chunks were inserted).
    first.db.exec(
      `CREATE TEMP TRIGGER crash BEFORE INSERT ON log_chunks WHEN new.job_id = '${victim}' AND (SELECT count(*) FROM log_chunks WHERE job_id = '${victim}') >= 1 BEGIN SELECT RAISE(ABORT, 'simulated crash'); END`,
    );
    const sink = new MemoryLogSink();
    const m = maintenance(first, sink);
    m.start();
    await m.idle();
    await m.stop();
    assert.ok(sink.lines.some((l) => l.includes('compacting a job log failed') && l.includes(victim)));
    for (const id of finished) {
      if (id === victim) {
        assert.is(first.logs.lastSeq(id), 2000, 'the failed job is still all rows');
        assert.is(first.db.prepare('SELECT count(*) FROM log_chunks WHERE job_id = ?').pluck().get(id), 0, 'and has no chunk');
      } else {
        assert.ok(first.logChunks.archive(id), 'the others were compacted');
      }
    }
    assert.equal(first.logReader.read(victim).map(strip), expected);
    const compactedAt = new Map(finished.filter((id) => id !== victim).map((id) => [id, first.db.prepare('SELECT data FROM log_chunks WHERE job_id = ?').all(id)]));
    first.close();

    // "Restart": the trigger was TEMP, gone with the connection.
    const second = Store.open(t.dbPath);
    try {
      const m2 = maintenance(second, new MemoryLogSink());
      m2.start();
      await m2.idle();
      await m2.stop();
      assert.is(second.logs.lastSeq(victim), 0);
      assert.equal(second.logReader.read(victim).map(strip), expected);
      for (const [id, chunks] of compactedAt) assert.equal(second.db.prepare('SELECT data FROM log_chunks WHERE job_id = ?').all(id), chunks, 'done jobs are not redone');
      assert.is(second.db.prepare('SELECT count(*) FROM log_archives').pluck().get(), 3);
    } finally {
      second.close();
    }
  } finally {
    t.cleanup();
  }
});

test('a job finishing while the server runs is compacted on job.finished', async () => {
  const t = tempDir();
  const store = Store.open(t.dbPath);
  try {
    const sink = new MemoryLogSink();
    const logger = createLogger({ name: 'test', sink, redactor: new Redactor() });
    const events = createEventBus(logger);
    const m = new LogMaintenance({ store, events, logger, retention: { maxAgeDays: 0, maxBytesPerRepository: 0 }, pruneIntervalMs: 3_600_000 });
    m.start();
    await m.idle();
    const { runId, jobIds } = createRun(store, ['a']);
    const id = jobIds[0]!;
    store.jobs.transition(id, 'provisioning');
    store.jobs.transition(id, 'running');
    store.logs.append(id, Array.from({ length: 300 }, (_, i) => ({ step: 1, stream: 'stdout', ts: i, text: `line ${i + 1}` })));
    store.jobs.transition(id, 'failed');
    events.emit('job.finished', { runId, jobId: id, state: 'failed' });
    await m.idle();
    assert.is(store.logs.lastSeq(id), 0);
    assert.is(store.logReader.lastSeq(id), 300);
    assert.is(store.logReader.read(id, { from: 300 })[0]!.text, 'line 300');
    await m.stop();
    // Stopped: job.finished is no longer acted on.
    const other = createRun(store, ['b']).jobIds[0]!;
    store.jobs.transition(other, 'provisioning');
    store.logs.append(other, [{ step: 0, stream: 'system', ts: 1, text: 'cancelled before it started' }]);
    store.jobs.transition(other, 'cancelled');
    events.emit('job.finished', { runId, jobId: other, state: 'cancelled' });
    await m.idle();
    assert.is(store.logs.lastSeq(other), 1, 'left as rows for the next start');
  } finally {
    store.close();
    t.cleanup();
  }
});

test.run();
