/**
 * Migration 6: warm heads (issue 11, warm paths). One row per (storage, repository, branch, job,
 * warm-path list): the Storage id of the frozen warm volume the next job of that branch starts from
 * (a clone of it). The path list is part of the key because volume directory `i` holds path `i`:
 * a head made for another list would land at the wrong paths. A row is written only after
 * `Storage.commitWarm` returned, so every id here exists in the storage; a head the storage holds
 * with no row here is an orphan the reconciler removes. FROZEN once released.
 */
export const name = 'warm_heads';

export const sql = `
CREATE TABLE warm_heads (
  storage    TEXT    NOT NULL,
  repo_key   TEXT    NOT NULL,
  ref        TEXT    NOT NULL,
  job_key    TEXT    NOT NULL,
  paths_key  TEXT    NOT NULL,
  head_id    TEXT    NOT NULL,
  job_id     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  used_at    INTEGER NOT NULL,
  PRIMARY KEY (storage, repo_key, ref, job_key, paths_key)
);
CREATE UNIQUE INDEX warm_heads_by_head ON warm_heads (storage, head_id);
`;
