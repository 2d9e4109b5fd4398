// `npm run bench -- log-storage [LINES]`: stores LINES (default 200,000) lines of realistic build output
// (bench/lib/buildOutput.mjs) for one finished job, in the store's row storage (the same-run baseline:
// one SQLite row per line) and, when this build has it, compacted into compressed chunks. For each it
// reports bytes on disk per raw byte (page count × page size after VACUUM, minus the same store
// without the log), the time to compact, and the median time of reading 1,000 lines from the middle
// of the log. Every read is checked against the lines written. Prints one JSON line.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Store } from '../core/dist/src/store/store.js';
import { createRun } from '../core/dist/test/helpers/storeFixtures.js';
import { buildOutput } from './lib/buildOutput.mjs';

const LINES = Number(process.argv[2] ?? 200_000);
const BATCH = 1000;
const READ = 1000;
const READ_ROUNDS = 21;
const here = dirname(fileURLToPath(import.meta.url));
const compactorPath = join(here, '../core/dist/src/store/logs/logCompactor.js');
const { LogCompactor } = existsSync(compactorPath) ? await import(pathToFileURL(compactorPath).href) : {};

const lines = buildOutput(LINES);
const rawBytes = lines.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
const gzipBytes = gzipSync(lines.map((l) => l.text).join('\n') + '\n', { level: 6 }).length;

const seconds = (started) => Number(process.hrtime.bigint() - started) / 1e9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function diskBytes(store) {
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.exec('VACUUM');
  return store.db.pragma('page_count', { simple: true }) * store.db.pragma('page_size', { simple: true });
}

/** Reads READ lines from the middle READ_ROUNDS times, checking each read; median seconds. `cold` runs before each read. */
function timeMiddleRead(read, cold) {
  const from = Math.floor(LINES / 2) - READ / 2;
  const times = [];
  for (let r = 0; r < READ_ROUNDS; r++) {
    cold();
    const started = process.hrtime.bigint();
    const got = read(from, READ);
    times.push(seconds(started));
    if (got.length !== READ) throw new Error(`range read returned ${got.length} lines, expected ${READ}`);
    got.forEach((l, i) => {
      const want = lines[from - 1 + i];
      if (l.seq !== from + i || l.text !== want.text || l.step !== want.step || l.stream !== want.stream || l.ts !== want.ts) {
        throw new Error(`range read line ${from + i} differs from what was written`);
      }
    });
  }
  return median(times);
}

async function measure(kind) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-log-storage-'));
  const store = Store.open({ path: join(dir, 'helios.db') });
  try {
    const jobId = createRun(store, ['bench']).jobIds[0];
    store.jobs.transition(jobId, 'provisioning');
    store.jobs.transition(jobId, 'running');
    const empty = diskBytes(store);
    for (let i = 0; i < LINES; i += BATCH) store.logs.append(jobId, lines.slice(i, i + BATCH));
    store.jobs.transition(jobId, 'succeeded');
    let compactSeconds = null;
    if (kind === 'chunks') {
      const started = process.hrtime.bigint();
      await new LogCompactor(store).compactJob(jobId);
      compactSeconds = seconds(started);
      if (store.logs.lastSeq(jobId) !== 0) throw new Error('rows remain after compaction');
    }
    const bytes = diskBytes(store) - empty;
    const reader = store.logReader ?? store.logs;
    if (reader.lastSeq(jobId) !== LINES) throw new Error(`${kind}: lastSeq ${reader.lastSeq(jobId)}, expected ${LINES}`);
    // Chunk reads are timed cold: the reader's cache of decoded chunks is emptied before each.
    const readSeconds = timeMiddleRead((from, limit) => reader.read(jobId, { from, limit }), () => reader.forget?.(jobId));
    process.stderr.write(`${kind}: ${bytes} bytes on disk for ${rawBytes} raw, compact ${compactSeconds ?? '-'} s, middle read ${(readSeconds * 1000).toFixed(2)} ms\n`);
    return { bytesOnDisk: bytes, perRawByte: round(bytes / rawBytes), compactSeconds: compactSeconds === null ? null : round(compactSeconds), middleRead1000Ms: round(readSeconds * 1000) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = await measure('rows');
const chunks = LogCompactor ? await measure('chunks') : null;
console.log(JSON.stringify({ bench: 'log-storage', lines: LINES, rawBytes, gzipWholeLogPerRawByte: round(gzipBytes / rawBytes), rows, chunks, chunksVsRows: chunks ? round(chunks.bytesOnDisk / rows.bytesOnDisk) : null }));
