/**
 * FROZEN: migration 1 as released. Never edit this file; add a new numbered migration instead,
 * because databases in the field already ran it (the upgrade test opens a store created by it).
 */
export const name = 'initial';

export const sql = `
CREATE TABLE inbox (
  id            INTEGER PRIMARY KEY,
  forge         TEXT    NOT NULL,
  delivery_id   TEXT    NOT NULL,
  kind          TEXT    NOT NULL,
  payload_json  TEXT    NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('received', 'planned', 'failed')),
  error         TEXT,
  received_at   INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (forge, delivery_id)
);
CREATE INDEX inbox_status ON inbox (status, id);

CREATE TABLE runs (
  id            TEXT    PRIMARY KEY,
  inbox_id      INTEGER REFERENCES inbox (id),
  forge         TEXT,
  repo_json     TEXT    NOT NULL,
  sha           TEXT    NOT NULL,
  ref           TEXT    NOT NULL,
  event         TEXT    NOT NULL,
  trusted       INTEGER NOT NULL,
  plan_json     TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('running', 'completed')),
  conclusion    TEXT,
  created_at    INTEGER NOT NULL,
  finished_at   INTEGER
);
CREATE INDEX runs_created ON runs (created_at DESC);

CREATE TABLE jobs (
  id               TEXT    PRIMARY KEY,
  run_id           TEXT    NOT NULL REFERENCES runs (id),
  plan_id          TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  plan_json        TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('queued', 'provisioning', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped')),
  attempt          INTEGER NOT NULL DEFAULT 1,
  reason           TEXT,
  outputs_json     TEXT,
  created_at       INTEGER NOT NULL,
  provisioning_at  INTEGER,
  started_at       INTEGER,
  finished_at      INTEGER,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX jobs_run ON jobs (run_id);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE steps (
  job_id       TEXT    NOT NULL REFERENCES jobs (id),
  idx          INTEGER NOT NULL,
  name         TEXT    NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'completed')),
  conclusion   TEXT    CHECK (conclusion IN ('success', 'failure', 'cancelled', 'skipped')),
  started_at   INTEGER,
  finished_at  INTEGER,
  PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;

CREATE TABLE log_lines (
  job_id  TEXT    NOT NULL,
  seq     INTEGER NOT NULL,
  step    INTEGER NOT NULL,
  stream  TEXT    NOT NULL,
  ts      INTEGER NOT NULL,
  text    TEXT    NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE annotations (
  job_id  TEXT    NOT NULL,
  seq     INTEGER NOT NULL,
  json    TEXT    NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;

CREATE TABLE checks (
  id              TEXT    PRIMARY KEY,
  job_id          TEXT,
  forge           TEXT    NOT NULL,
  budget_key      TEXT    NOT NULL,
  check_job_json  TEXT    NOT NULL,
  handle_json     TEXT,
  state           TEXT    NOT NULL CHECK (state IN ('opening', 'open', 'closed')),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX checks_job ON checks (job_id);

CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  check_id         TEXT    NOT NULL REFERENCES checks (id),
  seq              INTEGER NOT NULL,
  kind             TEXT    NOT NULL CHECK (kind IN ('open', 'update', 'annotate', 'close')),
  payload_json     TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'dead', 'superseded')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  done_at          INTEGER,
  UNIQUE (check_id, seq)
);
CREATE INDEX outbox_active ON outbox (state, check_id, seq);

CREATE TABLE artifacts (
  job_id      TEXT    NOT NULL REFERENCES jobs (id),
  name        TEXT    NOT NULL,
  size        INTEGER NOT NULL,
  storage_id  TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
`;
