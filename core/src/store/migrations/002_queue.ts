/**
 * Migration 2: the in-process queue's messages. Kept apart from migration 1 so the queue can
 * change without touching the frozen initial schema. FROZEN once released.
 */
export const name = 'queue';

export const sql = `
CREATE TABLE queue_messages (
  job_id        TEXT    PRIMARY KEY,
  labels_json   TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('ready', 'delivered', 'acked')),
  redeliveries  INTEGER NOT NULL DEFAULT 0,
  token         INTEGER NOT NULL DEFAULT 0,
  available_at  INTEGER NOT NULL,
  published_at  INTEGER NOT NULL,
  acked_at      INTEGER
);
CREATE INDEX queue_ready ON queue_messages (state, available_at, published_at);
`;
