/**
 * Migration 4: the kernel's index of caches and artifacts (the bytes live in the Storage backend,
 * under the opaque blob ids stored here). FROZEN once released.
 *
 * Cache entries are keyed as actions/cache keys them: repository (`forge/owner/name`), scope (the
 * ref that wrote it: `refs/heads/main`, `refs/pull/7/merge`), whether a trusted run wrote it, key
 * and version. Restore looks up (repo, scope, trusted, version) and a key prefix, so that index
 * leads with those columns; eviction walks (repo, last_used_at) and (last_used_at).
 *
 * Artifacts move from one row per (job, name) to one per (run, name): actions/upload-artifact v4
 * names are unique in a workflow run, and download-artifact reads them across the run's jobs.
 * Old rows without bytes (storage_id NULL) had nothing to download and are dropped; of two old
 * rows with the same name in one run the newer wins, as an overwrite would have.
 */
export const name = 'caches_artifacts';

export const sql = `
CREATE TABLE cache_entries (
  id            INTEGER PRIMARY KEY,
  repo          TEXT    NOT NULL,
  scope         TEXT    NOT NULL,
  trusted       INTEGER NOT NULL CHECK (trusted IN (0, 1)),
  key           TEXT    NOT NULL,
  version       TEXT    NOT NULL,
  blob_id       TEXT    NOT NULL,
  size          INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER NOT NULL,
  UNIQUE (repo, scope, trusted, key, version)
);
CREATE INDEX cache_entries_lookup ON cache_entries (repo, scope, trusted, version, key);
CREATE INDEX cache_entries_lru ON cache_entries (repo, last_used_at);
CREATE INDEX cache_entries_idle ON cache_entries (last_used_at);

CREATE TABLE run_artifacts (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT    NOT NULL REFERENCES runs (id),
  job_id      TEXT    NOT NULL REFERENCES jobs (id),
  name        TEXT    NOT NULL,
  blob_id     TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  UNIQUE (run_id, name)
);
CREATE INDEX run_artifacts_expiry ON run_artifacts (expires_at);

INSERT OR REPLACE INTO run_artifacts (run_id, job_id, name, blob_id, size, created_at, expires_at)
  SELECT j.run_id, a.job_id, a.name, a.storage_id, a.size, a.created_at, a.created_at + 90 * 86400000
  FROM artifacts a JOIN jobs j ON j.id = a.job_id
  WHERE a.storage_id IS NOT NULL
  ORDER BY a.created_at, a.job_id;

DROP TABLE artifacts;
`;
