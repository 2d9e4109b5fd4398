import type { Database, Statement } from 'better-sqlite3';

export interface QueueRow {
  jobId: string;
  labels: string[];
  state: 'ready' | 'delivered' | 'acked';
  redeliveries: number;
  /** Increments on every delivery; an ack/nack carrying an older token is stale and ignored. */
  token: number;
  availableAt: number;
  publishedAt: number;
}

interface Row {
  job_id: string;
  labels_json: string;
  state: QueueRow['state'];
  redeliveries: number;
  token: number;
  available_at: number;
  published_at: number;
}

const toRow = (r: Row): QueueRow => ({
  jobId: r.job_id,
  labels: JSON.parse(r.labels_json) as string[],
  state: r.state,
  redeliveries: r.redeliveries,
  token: r.token,
  availableAt: r.available_at,
  publishedAt: r.published_at,
});

/** The in-process queue's persisted messages (one per job id). */
export class QueueRepo {
  private claimStmt: Statement | undefined;
  /** Lazily prepared, then reused: every job publishes, acks and re-arms the timer at least once. */
  private readonly statements = new Map<string, Statement>();

  // Statements are prepared lazily: a store opened at an older schema (tests) has no queue table.
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private claimStatement(): Statement {
    return (this.claimStmt ??= this.db.prepare(
      `UPDATE queue_messages SET state = 'delivered', token = token + 1
       WHERE job_id = (SELECT job_id FROM queue_messages WHERE state = 'ready' AND available_at <= ? ORDER BY available_at, published_at, rowid LIMIT 1)
       RETURNING *`,
    ));
  }

  /** True when the message is new; a job id seen before (even acked) is ignored. */
  publish(jobId: string, labels: string[]): boolean {
    const t = this.now();
    return (
      this.stmt(`INSERT INTO queue_messages (job_id, labels_json, state, available_at, published_at) VALUES (?, ?, 'ready', ?, ?) ON CONFLICT (job_id) DO NOTHING`).run(jobId, JSON.stringify(labels), t, t).changes === 1
    );
  }

  /** Takes the oldest ready message whose delay has passed, or undefined. */
  claim(): QueueRow | undefined {
    const row = this.claimStatement().get(this.now()) as Row | undefined;
    return row && toRow(row);
  }

  ack(jobId: string, token: number): boolean {
    return this.stmt("UPDATE queue_messages SET state = 'acked', acked_at = ? WHERE job_id = ? AND state = 'delivered' AND token = ?").run(this.now(), jobId, token).changes === 1;
  }

  /** Back to ready after `delayMs`, counting a redelivery. */
  nack(jobId: string, token: number, delayMs: number): boolean {
    return (
      this.stmt("UPDATE queue_messages SET state = 'ready', redeliveries = redeliveries + 1, available_at = ? WHERE job_id = ? AND state = 'delivered' AND token = ?")
        .run(this.now() + delayMs, jobId, token).changes === 1
    );
  }

  /** Every delivered-but-unacked message becomes ready again (a new process: the old consumers are gone). */
  releaseDelivered(): number {
    return this.db.prepare("UPDATE queue_messages SET state = 'ready', redeliveries = redeliveries + 1, available_at = ? WHERE state = 'delivered'").run(this.now()).changes;
  }

  /** The earliest time a delayed ready message becomes available, or null. */
  nextAvailableAt(): number | null {
    return (this.stmt("SELECT min(available_at) AS t FROM queue_messages WHERE state = 'ready'").pluck().get() as number | null) ?? null;
  }

  get(jobId: string): QueueRow | undefined {
    const row = this.db.prepare('SELECT * FROM queue_messages WHERE job_id = ?').get(jobId) as Row | undefined;
    return row && toRow(row);
  }

  /** Messages not acked yet (ready or delivered). */
  unacked(): number {
    return this.db.prepare("SELECT count(*) FROM queue_messages WHERE state != 'acked'").pluck().get() as number;
  }
}
