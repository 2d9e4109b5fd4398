/**
 * Migration 3: approvals for fork pull requests, which never run until a user with write access
 * approves them (DESIGN §7). One row per held delivery. FROZEN once released.
 */
export const name = 'approvals';

export const sql = `
CREATE TABLE approvals (
  id          TEXT    PRIMARY KEY,
  forge       TEXT    NOT NULL,
  repo_json   TEXT    NOT NULL,
  repo_key    TEXT    NOT NULL,
  pr_number   INTEGER NOT NULL,
  head_sha    TEXT    NOT NULL,
  inbox_id    INTEGER NOT NULL REFERENCES inbox (id),
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'superseded')),
  decided_by  TEXT,
  run_id      TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX approvals_by_pr ON approvals (forge, repo_key, pr_number, state);
`;
