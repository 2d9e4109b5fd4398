import type { Database } from 'better-sqlite3';
import type { LogLine } from '../records.js';
import { LogChunkRepo } from '../repos/logChunkRepo.js';
import { LogRepo } from '../repos/logRepo.js';
import { LogReader } from './logReader.js';

/**
 * A whole job log read from a database connection that is not a Store — e.g. a read-only one
 * opened beside a running `helios serve` by end-to-end tests and tools — whatever its form (rows,
 * compacted chunks, removed by retention). Never read `log_lines` directly: finished logs are not there.
 */
export function readStoredJobLog(db: Database, jobId: string): LogLine[] {
  const chunks = new LogChunkRepo(db);
  const reader = new LogReader(db, new LogRepo(db, Number.POSITIVE_INFINITY, (id) => chunks.lastSeq(id)), chunks);
  const lines: LogLine[] = [];
  for (let from = 1; ; ) {
    const page = reader.read(jobId, { from, limit: 10_000 });
    lines.push(...page);
    if (page.length < 10_000) return lines;
    from = page[page.length - 1]!.seq + 1;
  }
}
