/**
 * Migration 7: machine start timings per job (issue 12): t0 the provision began (the disk clone),
 * t1 the machine booted, t2 its first console byte, t3 the agent's Hello. Epoch milliseconds; a
 * milestone the runtime does not report stays NULL. FROZEN once released.
 */
export const name = 'job_timings';

export const sql = `
CREATE TABLE job_timings (
  job_id     TEXT    PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  clone_at   INTEGER NOT NULL,
  booted_at  INTEGER,
  console_at INTEGER,
  hello_at   INTEGER
);
`;
