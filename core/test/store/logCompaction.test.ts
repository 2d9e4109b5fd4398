import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeChunk, encodeChunk } from '../../src/store/logs/logChunkCodec.js';
import { LogCompactor } from '../../src/store/logs/logCompactor.js';
import type { LogLine, LogLineInput, LogStreamName } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { LOG_CAP_NOTICE } from '../../src/store/repos/logRepo.js';
import { createRun, openTempStore } from '../helpers/storeFixtures.js';

const STREAMS: LogStreamName[] = ['stdout', 'stderr', 'system'];

/** Varied lines: steps change, all streams, ts going forwards and (clock steps) backwards, odd texts. */
function varied(n: number): LogLineInput[] {
  const odd = ['', 'ünïcødé ✅ 🚀', '\ttab  trailing  ', 'a\u0000nul', '\r carriage', 'x'.repeat(3000)];
  return Array.from({ length: n }, (_, i) => ({
    step: Math.floor(i / 97),
    stream: STREAMS[(i * 7) % 3]!,
    ts: 1_767_000_000_000 + i * 13 - (i % 50 === 0 ? 5000 : 0),
    text: i % 41 === 0 ? odd[i % odd.length]! : `src/module_${i % 17}/file_${i % 5}.c:${i}:3: warning: unused variable 'v${i}' [-Wunused-variable]`,
  }));
}

/** A finished job whose log is `lines`, written in batches like the orchestrator's sink. */
function finishedJob(store: Store, lines: LogLineInput[], key = 'build'): string {
  const id = createRun(store, [key]).jobIds[0]!;
  store.jobs.transition(id, 'provisioning');
  store.jobs.transition(id, 'running');
  for (let i = 0; i < lines.length; i += 250) store.logs.append(id, lines.slice(i, i + 250));
  store.jobs.transition(id, 'succeeded');
  return id;
}

const strip = (l: LogLine) => ({ seq: l.seq, step: l.step, stream: l.stream, ts: l.ts, text: l.text });

test('the chunk codec round-trips every field, and refuses damaged bytes with E_LOG_CHUNK_CORRUPT', async () => {
  const lines = varied(500).map((l, i) => ({ ...l, jobId: 'j', seq: 10 + i + (i > 200 ? 30 : 0) }));
  const data = await encodeChunk(lines);
  assert.equal(decodeChunk('j', 10, data), lines);
  // Brotli has no checksum (nor do SQLite pages): what is caught is structure — a stream cut short,
  // an unknown format byte, metadata that does not add up to the text bytes.
  const truncated = data.subarray(0, data.length - 7);
  for (const bad of [truncated, Buffer.from([9, 1, 2, 3]), Buffer.from([1, 0xff, 0xff])]) {
    try {
      decodeChunk('j', 10, bad);
      assert.unreachable('decoded damaged bytes');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_LOG_CHUNK_CORRUPT');
    }
  }
});

test('compaction round trip: every line, in order, with its step, stream and ts; rows gone, reads unchanged', async () => {
  const t = openTempStore();
  try {
    const input = varied(6000);
    const id = finishedJob(t.store, input);
    const before = t.store.logReader.read(id, { limit: 100_000 }).map(strip);
    const r = await new LogCompactor(t.store, { chunkBytes: 16 * 1024 }).compactJob(id);
    assert.ok(r && r.chunks > 5, `several chunks (${r?.chunks})`);
    assert.is(r!.lines, 6000);
    assert.is(t.store.logs.lastSeq(id), 0, 'no rows left');
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_lines WHERE job_id = ?').pluck().get(id), 0);
    const after = t.reopen().logReader.read(id, { limit: 100_000 }).map(strip);
    assert.equal(after, before);
    assert.equal(after.map((l) => l.text), input.map((l) => l.text));
    assert.equal(after.map((l) => [l.step, l.stream, l.ts]), input.map((l) => [l.step, l.stream, l.ts]));
    assert.equal(after.map((l) => l.seq), input.map((_, i) => i + 1));
    assert.is(t.store.logReader.lastSeq(id), 6000);
    const archive = t.store.logChunks.archive(id)!;
    assert.is(archive.lines, 6000);
    assert.is(archive.repoKey, 'local:acme/widget');
    assert.ok(archive.storedBytes < archive.rawBytes * 0.5, `compressed (${archive.storedBytes} of ${archive.rawBytes})`);
    // A second compaction finds nothing to do.
    assert.is(await new LogCompactor(t.store).compactJob(id), null);
  } finally {
    t.cleanup();
  }
});

test('range reads at chunk boundaries, from any line, and tails (readBackward) match the row reads', async () => {
  const t = openTempStore();
  try {
    const input = varied(3000);
    const id = finishedJob(t.store, input);
    const expected = t.store.logReader.read(id, { limit: 10_000 }).map(strip);
    await new LogCompactor(t.store, { chunkBytes: 8 * 1024 }).compactJob(id);
    const bounds = t.store.db.prepare('SELECT first_seq, last_seq FROM log_chunks WHERE job_id = ? ORDER BY first_seq').all(id) as { first_seq: number; last_seq: number }[];
    assert.ok(bounds.length > 10);
    const probes = new Set<number>([1, 2, 2999, 3000, 3001, 5000]);
    for (const b of bounds.slice(0, 6)) for (const s of [b.first_seq - 1, b.first_seq, b.first_seq + 1, b.last_seq - 1, b.last_seq, b.last_seq + 1]) probes.add(s);
    for (const from of probes) {
      for (const limit of [1, 2, 7, 500, 4000]) {
        const want = expected.filter((l) => l.seq >= Math.max(1, from)).slice(0, limit);
        assert.equal(t.store.logReader.read(id, { from, limit }).map(strip), want, `read from ${from} limit ${limit}`);
        const back = expected.filter((l) => l.seq < from).reverse().slice(0, limit);
        assert.equal(t.store.logReader.readBackward(id, from, limit).map(strip), back, `backward before ${from} limit ${limit}`);
      }
    }
    // A read spanning exactly one chunk boundary.
    const b = bounds[3]!;
    assert.equal(t.store.logReader.read(id, { from: b.last_seq, limit: 2 }).map((l) => l.seq), [b.last_seq, b.last_seq + 1]);
    // Tail: the last 40 lines, as the failure report and the check-run tail read them.
    const last = t.store.logReader.lastSeq(id);
    assert.equal(t.store.logReader.readBackward(id, last + 1, 40).reverse().map(strip), expected.slice(-40));
  } finally {
    t.cleanup();
  }
});

test('a crash inside the compaction transaction leaves the rows and no chunk; the next compaction succeeds', async () => {
  const t = openTempStore();
  try {
    const input = varied(2000);
    const id = finishedJob(t.store, input);
    const expected = t.store.logReader.read(id).map(strip);
    // Fails the third chunk insert: two chunks are already written inside the transaction.
    t.store.db.exec("CREATE TEMP TRIGGER crash_on_chunk BEFORE INSERT ON log_chunks WHEN (SELECT count(*) FROM log_chunks) >= 2 BEGIN SELECT RAISE(ABORT, 'simulated crash between writes'); END");
    try {
      await new LogCompactor(t.store, { chunkBytes: 8 * 1024 }).compactJob(id);
      assert.unreachable('compaction should have failed');
    } catch (err) {
      assert.match((err as Error).message, /simulated crash/);
    }
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_chunks').pluck().get(), 0, 'no partial chunks');
    assert.is(t.store.logChunks.archive(id), undefined, 'no archive row');
    assert.is(t.store.logs.lastSeq(id), 2000, 'rows remain');
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_lines WHERE job_id = ?').pluck().get(id), 2000);
    assert.equal(t.store.logReader.read(id).map(strip), expected);

    // Failing the last write of the transaction (the archive row) rolls every chunk back too.
    t.store.db.exec('DROP TRIGGER crash_on_chunk');
    t.store.db.exec("CREATE TEMP TRIGGER crash_on_archive BEFORE INSERT ON log_archives BEGIN SELECT RAISE(ABORT, 'simulated crash at the last write'); END");
    await new LogCompactor(t.store).compactJob(id).then(
      () => assert.unreachable('compaction should have failed'),
      (err: Error) => assert.match(err.message, /last write/),
    );
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_chunks').pluck().get(), 0);
    assert.is(t.store.logs.lastSeq(id), 2000);

    t.store.db.exec('DROP TRIGGER crash_on_archive');
    const r = await new LogCompactor(t.store).compactJob(id);
    assert.is(r!.lines, 2000);
    assert.equal(t.store.logReader.read(id).map(strip), expected);
  } finally {
    t.cleanup();
  }
});

test('a crash after the switch, before the rows are swept: no line is read twice, and the next run deletes the dead rows', async () => {
  const t = openTempStore();
  try {
    const input = varied(5000);
    const id = finishedJob(t.store, input);
    const expected = t.store.logReader.read(id).map(strip);
    t.store.db.exec("CREATE TEMP TRIGGER crash_on_sweep BEFORE DELETE ON log_lines BEGIN SELECT RAISE(ABORT, 'simulated crash in the sweep'); END");
    await new LogCompactor(t.store, { chunkBytes: 8 * 1024 }).compactJob(id).then(
      () => assert.unreachable('the sweep should have failed'),
      (err: Error) => assert.match(err.message, /sweep/),
    );
    assert.is(t.store.logChunks.archive(id)!.lines, 5000, 'the switch committed');
    assert.is(t.store.logs.lastSeq(id), 5000, 'the rows are still there, dead');
    assert.equal(t.store.logReader.read(id).map(strip), expected, 'read once each, from the chunks');
    assert.equal(t.store.logReader.readBackward(id, 5001, 10).map((l) => l.seq), [5000, 4999, 4998, 4997, 4996, 4995, 4994, 4993, 4992, 4991]);
    assert.is(t.store.logReader.lastSeq(id), 5000);
    assert.equal(t.store.logs.append(id, [{ step: 0, stream: 'system', ts: 1, text: 'late' }]), { first: 5001, last: 5001 });
    assert.equal(t.store.logReader.read(id, { from: 4999 }).map((l) => l.seq), [4999, 5000, 5001]);

    t.store.db.exec('DROP TRIGGER crash_on_sweep');
    assert.equal(t.store.logs.finishedJobsWithRows(['succeeded']), [id], 'the next start finds it');
    const r = await new LogCompactor(t.store).compactJob(id);
    assert.is(r!.lines, 1, 'only the late line was new');
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_lines WHERE job_id = ?').pluck().get(id), 0, 'dead rows swept');
    assert.equal(t.store.logReader.read(id).map(strip).slice(0, 5000), expected);
    assert.is(t.store.logReader.lastSeq(id), 5001);
  } finally {
    t.cleanup();
  }
});

test('rows changed under a compaction: E_LOG_COMPACT_CHANGED and nothing written', async () => {
  const t = openTempStore();
  try {
    const id = finishedJob(t.store, varied(300));
    // Between reading the rows and the transaction (the compression is off the event loop): a line goes.
    const read = t.store.logs.read.bind(t.store.logs);
    t.store.logs.read = (jobId, options) => {
      const lines = read(jobId, options);
      // The cap's trim is the one path that deletes rows of a finished job's range; deleteThrough stands in.
      t.store.logs.deleteThrough(id, 5);
      return lines;
    };
    await new LogCompactor(t.store).compactJob(id).then(
      () => assert.unreachable('should refuse'),
      (err: { code?: string }) => assert.is(err.code, 'E_LOG_COMPACT_CHANGED'),
    );
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_chunks').pluck().get(), 0);
    assert.is(t.store.logChunks.archive(id), undefined);
    assert.is(t.store.logs.lastSeq(id), 300);
    assert.is(t.store.logs.firstSeq(id), 6);
  } finally {
    t.cleanup();
  }
});

test('a shutdown during compaction writes nothing (the next start does the job)', async () => {
  const t = openTempStore();
  try {
    const id = finishedJob(t.store, varied(6000));
    let asked = 0;
    // Stop once the first page of rows was read.
    assert.is(await new LogCompactor(t.store, { chunkBytes: 8 * 1024 }).compactJob(id, () => ++asked > 1), null);
    assert.ok(asked > 1);
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_chunks').pluck().get(), 0);
    assert.is(t.store.logChunks.archive(id), undefined);
    assert.is(t.store.logs.lastSeq(id), 6000);
    assert.is((await new LogCompactor(t.store).compactJob(id))!.lines, 6000);
  } finally {
    t.cleanup();
  }
});

test('live jobs keep their rows; a line written after compaction continues the numbering and is read after the chunks', async () => {
  const t = openTempStore();
  try {
    const live = createRun(t.store, ['live']).jobIds[0]!;
    t.store.jobs.transition(live, 'provisioning');
    t.store.jobs.transition(live, 'running');
    t.store.logs.append(live, varied(50));
    assert.is(await new LogCompactor(t.store).compactJob(live), null, 'a live job is not compacted');
    assert.is(t.store.logs.lastSeq(live), 50);

    const id = finishedJob(t.store, varied(400));
    await new LogCompactor(t.store).compactJob(id);
    // E.g. "destroying machine … failed", written after job.finished.
    assert.equal(t.store.logs.append(id, [{ step: 0, stream: 'system', ts: 5, text: 'late system line' }]), { first: 401, last: 401 });
    assert.is(t.store.logReader.lastSeq(id), 401);
    assert.equal(t.store.logReader.read(id, { from: 399 }).map((l) => [l.seq, l.text]).slice(-1), [[401, 'late system line']]);
    assert.equal(t.store.logReader.read(id, { from: 399 }).map((l) => l.seq), [399, 400, 401]);
    assert.equal(t.store.logReader.readBackward(id, 402, 3).map((l) => l.seq), [401, 400, 399]);
    // The next compaction moves the late line too, into a chunk of its own.
    const r = await new LogCompactor(t.store).compactJob(id);
    assert.is(r!.lines, 1);
    assert.is(t.store.logChunks.archive(id)!.lines, 401);
    assert.equal(t.store.logReader.read(id, { from: 400 }).map((l) => [l.seq, l.text]), [[400, varied(400)[399]!.text], [401, 'late system line']]);
  } finally {
    t.cleanup();
  }
});

test('the per-job cap still applies, and a capped log (head, notice, tail, a seq gap) compacts and reads the same', async () => {
  const t = openTempStore({ maxLogBytesPerJob: 20_000 });
  try {
    const lines = Array.from({ length: 3000 }, (_, i) => ({ step: 1, stream: 'stdout' as const, ts: i, text: `loud line ${i + 1} `.padEnd(40, '.') }));
    const id = finishedJob(t.store, lines);
    const before = t.store.logReader.read(id, { limit: 10_000 }).map(strip);
    const bytes = before.reduce((n, l) => n + Buffer.byteLength(l.text), 0);
    assert.ok(bytes <= 20_000 + 200, `capped (${bytes} bytes)`);
    assert.ok(before.some((l) => l.text.startsWith(LOG_CAP_NOTICE)));
    const seqs = before.map((l) => l.seq);
    assert.ok(seqs.some((s, i) => i > 0 && s !== seqs[i - 1]! + 1), 'the dropped middle leaves a seq gap');
    await new LogCompactor(t.store, { chunkBytes: 4096 }).compactJob(id);
    assert.equal(t.store.logReader.read(id, { limit: 10_000 }).map(strip), before);
    const gap = seqs.findIndex((s, i) => i > 0 && s !== seqs[i - 1]! + 1);
    assert.equal(t.store.logReader.read(id, { from: seqs[gap - 1]! + 1, limit: 2 }).map(strip), before.slice(gap, gap + 2), 'reading from inside the gap starts after it');
  } finally {
    t.cleanup();
  }
});

test('text is stored as given: compaction neither masks nor unmasks (masking happens before the store)', async () => {
  const t = openTempStore();
  try {
    const texts = ['token=*** was masked upstream', 'plain ghp_notasecretbecausethestoredoesnotknow', '***'];
    const id = finishedJob(t.store, texts.map((text, i) => ({ step: 1, stream: 'stdout', ts: i, text })));
    await new LogCompactor(t.store).compactJob(id);
    assert.equal(t.store.logReader.read(id).map((l) => l.text), texts);
  } finally {
    t.cleanup();
  }
});

test.run();
