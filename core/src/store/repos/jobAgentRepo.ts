import type { Database } from 'better-sqlite3';

/** What a restarted control needs to re-adopt a job running on another host (migration 008). */
export interface JobAgentRecord {
  jobId: string;
  /** jobTokenHash of the agent's token. */
  tokenHash: string;
  /** The runtime's machine id, once the machine exists. */
  machineId: string | null;
  label: string | null;
  /** The last agent message seq whose events are stored. */
  lastSeq: number;
}

interface Row {
  job_id: string;
  token_hash: string;
  machine_id: string | null;
  label: string | null;
  last_seq: number;
}

export class JobAgentRepo {
  constructor(private readonly db: Database) {}

  /** A new agent token for the job (a new attempt starts from seq 0). */
  register(jobId: string, tokenHash: string): void {
    this.db
      .prepare('INSERT INTO job_agents (job_id, token_hash) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET token_hash = excluded.token_hash, machine_id = NULL, label = NULL, last_seq = 0')
      .run(jobId, tokenHash);
  }

  setMachine(jobId: string, machineId: string, label: string): void {
    this.db.prepare('UPDATE job_agents SET machine_id = ?, label = ? WHERE job_id = ?').run(machineId, label, jobId);
  }

  /** Called inside the transaction that stores the events up to `seq`. */
  setSeq(jobId: string, seq: number): void {
    this.db.prepare('UPDATE job_agents SET last_seq = ? WHERE job_id = ? AND last_seq < ?').run(seq, jobId, seq);
  }

  get(jobId: string): JobAgentRecord | null {
    const r = this.db.prepare('SELECT * FROM job_agents WHERE job_id = ?').get(jobId) as Row | undefined;
    return r ? { jobId: r.job_id, tokenHash: r.token_hash, machineId: r.machine_id, label: r.label, lastSeq: r.last_seq } : null;
  }

  delete(jobId: string): void {
    this.db.prepare('DELETE FROM job_agents WHERE job_id = ?').run(jobId);
  }
}
