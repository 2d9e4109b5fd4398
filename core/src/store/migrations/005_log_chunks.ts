/**
 * Migration 5: compacted job logs. A finished job's lines move from `log_lines` (one row per line)
 * into compressed chunks of ~64 KiB of lines (`log_chunks`, see store/logs/logChunkCodec.ts);
 * `log_archives` has one row per compacted job: its size for the per-repository retention budget,
 * and when retention removed it. Existing finished jobs are compacted at start-up, one job per
 * transaction (store/logs/logCompactor.ts), not here: a migration is one transaction, and a large
 * database would hold it for minutes. FROZEN once released.
 */
export const name = 'log_chunks';

export const sql = `
CREATE TABLE log_chunks (
  job_id     TEXT    NOT NULL,
  first_seq  INTEGER NOT NULL,
  last_seq   INTEGER NOT NULL,
  lines      INTEGER NOT NULL,
  raw_bytes  INTEGER NOT NULL,
  data       BLOB    NOT NULL,
  PRIMARY KEY (job_id, first_seq)
);

CREATE TABLE log_archives (
  job_id         TEXT    PRIMARY KEY,
  repo_key       TEXT    NOT NULL,
  lines          INTEGER NOT NULL,
  raw_bytes      INTEGER NOT NULL,
  stored_bytes   INTEGER NOT NULL,
  finished_at    INTEGER NOT NULL,
  compacted_at   INTEGER NOT NULL,
  pruned_at      INTEGER,
  pruned_reason  TEXT
) WITHOUT ROWID;
CREATE INDEX log_archives_kept_by_age ON log_archives (finished_at) WHERE pruned_at IS NULL;
CREATE INDEX log_archives_kept_by_repo ON log_archives (repo_key, finished_at) WHERE pruned_at IS NULL;
`;
