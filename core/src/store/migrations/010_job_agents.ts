/**
 * Migration 8: what control keeps about a job whose machine another host runs (a queue-nats worker),
 * so a restarted control can re-adopt it: the hash of the agent's job token (never the token), the
 * machine id, and the last agent message seq stored — written in the same transaction as the events
 * it covers, so the agent's resume resends exactly what was not stored. FROZEN once released.
 */
export const name = 'job_agents';

export const sql = `
CREATE TABLE job_agents (
  job_id     TEXT    PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  token_hash TEXT    NOT NULL,
  machine_id TEXT,
  label      TEXT,
  last_seq   INTEGER NOT NULL DEFAULT 0
);
`;
