import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { HeliosError } from '@helios-ci/sdk';
import { isTerminalJobState, TERMINAL_JOB_STATES } from '../jobStateMachine.js';
import type { LogLine } from '../records.js';
import type { NewLogChunk } from '../repos/logChunkRepo.js';
import type { Store } from '../store.js';
import { encodeChunk } from './logChunkCodec.js';

/** Raw text per chunk: brotli's gains flatten out above this, and a range read decodes at most ~2 chunks. */
export const CHUNK_RAW_BYTES = 64 * 1024;
/** Rows read per query while building chunks (bounded memory: only compressed chunks are held). */
const READ_PAGE = 2000;
/** Seqs of dead rows deleted per statement after the switch (a few ms of the event loop each). */
const SWEEP_SEQS = 2000;

export interface CompactionResult {
  jobId: string;
  lines: number;
  rawBytes: number;
  storedBytes: number;
  chunks: number;
}

export interface BacklogProgress {
  done: number;
  total: number;
  lines: number;
  rawBytes: number;
  storedBytes: number;
}

/** The per-repository key the retention budget is kept by: forge (or "local") and owner/name. */
export function logRepoKey(forge: string | null, repo: { owner: string; name: string }): string {
  return `${forge ?? 'local'}:${repo.owner}/${repo.name}`.toLowerCase();
}

/**
 * Moves a finished job's log lines from rows into compressed chunks. The chunks are built and
 * compressed first (rows read in pages, brotli on libuv's thread pool, so the event loop stays
 * free), then ONE transaction switches the log over: it checks that the rows it compressed are
 * still exactly those (LogRepo.rangeMark: same first and last seq, no deletion since; refusing with
 * E_LOG_COMPACT_CHANGED, nothing written, otherwise), inserts every chunk and
 * records the job's archive row. From that commit on, readers take lines up to the last chunk's seq
 * from the chunks only (LogReader), so the rows under it are dead: they are deleted right after, a
 * bounded batch per statement with the event loop free in between — one big DELETE of a 100 MB log
 * would hold the loop for seconds. A crash before the commit leaves all rows and no chunk; a crash
 * after it leaves chunks plus dead rows that the next start sweeps. Never both missing, never a
 * line read twice. Lines appended after the bound read at the start (a late system line) stay
 * rows, above the chunks, until the next compaction.
 */
export class LogCompactor {
  private readonly chunkBytes: number;

  constructor(
    private readonly store: Store,
    options: { chunkBytes?: number } = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? CHUNK_RAW_BYTES;
  }

  /**
   * Compacts one job's rows; null when there is nothing to do (live job, no rows, old schema) or
   * when `shouldStop` turned true before the switch (shutdown: nothing written, done next start).
   */
  async compactJob(jobId: string, shouldStop: () => boolean = () => false): Promise<CompactionResult | null> {
    const { store } = this;
    const job = store.jobs.get(jobId);
    if (!job || !isTerminalJobState(job.state) || !store.logChunks.available()) return null;
    const after = store.logChunks.lastSeq(jobId);
    // Dead rows left by a crash between a switch and its sweep.
    await this.sweep(jobId, after, shouldStop);
    const through = store.logs.lastSeq(jobId);
    if (through <= after) return null;
    const mark = store.logs.rangeMark(jobId, after, through);

    const chunks: NewLogChunk[] = [];
    let pending: LogLine[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const data = await encodeChunk(pending);
      chunks.push({ firstSeq: pending[0]!.seq, lastSeq: pending[pending.length - 1]!.seq, lines: pending.length, rawBytes: pendingBytes, data });
      pending = [];
      pendingBytes = 0;
    };
    for (let from = after + 1; from <= through; ) {
      const page = store.logs.read(jobId, { from, limit: READ_PAGE }).filter((l) => l.seq <= through);
      if (page.length === 0) break;
      if (shouldStop()) return null;
      for (const line of page) {
        pending.push(line);
        pendingBytes += Buffer.byteLength(line.text) + 1;
        if (pendingBytes >= this.chunkBytes) await flush();
      }
      from = page[page.length - 1]!.seq + 1;
      await yieldToEventLoop();
    }
    if (pending.length) await flush();
    if (shouldStop()) return null;

    const lines = chunks.reduce((n, c) => n + c.lines, 0);
    const rawBytes = chunks.reduce((n, c) => n + c.rawBytes, 0);
    const storedBytes = chunks.reduce((n, c) => n + c.data.length, 0);
    const run = store.runs.get(job.runId);
    store.transaction(() => {
      const now = store.logs.rangeMark(jobId, after, through);
      const changed =
        now.first !== mark.first ||
        now.last !== mark.last ||
        now.deletions !== mark.deletions ||
        chunks[0]?.firstSeq !== mark.first ||
        store.logChunks.lastSeq(jobId) !== after ||
        store.logChunks.archive(jobId)?.prunedAt != null;
      if (changed) {
        throw new HeliosError('E_LOG_COMPACT_CHANGED', `the log of job ${jobId} changed while it was compacted (rows deleted or moved meanwhile); nothing was written, it is compacted again later`, {
          facts: { jobId, compressed: lines },
        });
      }
      for (const chunk of chunks) store.logChunks.insert(jobId, chunk);
      store.logChunks.addToArchive(jobId, {
        repoKey: run ? logRepoKey(run.forge, run.repo) : 'unknown',
        lines,
        rawBytes,
        storedBytes,
        finishedAt: job.finishedAt ?? store.clock.now(),
        now: store.clock.now(),
      });
    });
    await this.sweep(jobId, through, shouldStop);
    return { jobId, lines, rawBytes, storedBytes, chunks: chunks.length };
  }

  /** Deletes a job's rows with seq ≤ `through` (already in chunks), in bounded batches. */
  private async sweep(jobId: string, through: number, shouldStop: () => boolean): Promise<void> {
    for (let first = this.store.logs.firstSeq(jobId); first > 0 && first <= through && !shouldStop(); first = this.store.logs.firstSeq(jobId)) {
      this.store.logs.deleteThrough(jobId, Math.min(through, first + SWEEP_SEQS - 1));
      await yieldToEventLoop();
    }
  }

  /**
   * Compacts every finished job that still has rows (a database from before migration 5, or jobs
   * that finished while Helios was down), one job per transaction, oldest first: a crash midway
   * loses nothing and the next start carries on with the jobs still left. A job that fails is
   * reported to `onError` and left as rows (readable as before) for the next start; the rest go on.
   * `shouldStop` is asked between jobs (shutdown).
   */
  async compactBacklog(
    onProgress: (p: BacklogProgress) => void = () => undefined,
    shouldStop: () => boolean = () => false,
    onError: (jobId: string, err: unknown) => void = (_, err) => {
      throw err;
    },
  ): Promise<BacklogProgress> {
    const ids = this.store.logChunks.available() ? this.store.logs.finishedJobsWithRows(TERMINAL_JOB_STATES) : [];
    const progress: BacklogProgress = { done: 0, total: ids.length, lines: 0, rawBytes: 0, storedBytes: 0 };
    if (ids.length) onProgress({ ...progress });
    for (const id of ids) {
      if (shouldStop()) break;
      let r: CompactionResult | null = null;
      try {
        r = await this.compactJob(id, shouldStop);
      } catch (err) {
        onError(id, err);
      }
      progress.done++;
      if (r) {
        progress.lines += r.lines;
        progress.rawBytes += r.rawBytes;
        progress.storedBytes += r.storedBytes;
      }
      onProgress({ ...progress });
    }
    return progress;
  }
}
