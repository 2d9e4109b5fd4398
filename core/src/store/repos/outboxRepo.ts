import type { Database, Statement } from 'better-sqlite3';
import type { OutboxKind, OutboxRow, OutboxState } from '../records.js';

interface Row {
  id: number;
  check_id: string;
  seq: number;
  kind: OutboxKind;
  payload_json: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  done_at: number | null;
}

const toRow = (r: Row): OutboxRow => ({
  id: r.id,
  checkId: r.check_id,
  seq: r.seq,
  kind: r.kind,
  payload: JSON.parse(r.payload_json),
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  doneAt: r.done_at,
});

/**
 * Forge writes waiting to be delivered, per check in `seq` order. Row states:
 * pending → sending (claimed by the worker) → done | pending (retry) | dead (permanently refused);
 * pending updates become `superseded` when a newer update or the close of the same check arrives,
 * since an update carries the whole check output and only the newest matters.
 */
export class OutboxRepo {
  private readonly insert: Statement;
  private readonly nextSeq: Statement;
  private readonly newest: Statement;
  private readonly supersede: Statement;
  private readonly byId: Statement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.insert = db.prepare(
      `INSERT INTO outbox (check_id, seq, kind, payload_json, state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
    );
    this.nextSeq = db.prepare('SELECT coalesce(max(seq), 0) + 1 FROM outbox WHERE check_id = ?').pluck();
    this.newest = db.prepare('SELECT * FROM outbox WHERE check_id = ? ORDER BY seq DESC LIMIT 1');
    this.supersede = db.prepare("UPDATE outbox SET state = 'superseded' WHERE check_id = ? AND kind = 'update' AND state = 'pending'");
    this.byId = db.prepare('SELECT * FROM outbox WHERE id = ?');
  }

  /** Appends a row (an `update` or `close` supersedes the check's pending updates first). */
  enqueue(checkId: string, kind: OutboxKind, payload: unknown = {}): OutboxRow {
    return this.db.transaction(() => {
      if (kind === 'update' || kind === 'close') this.supersede.run(checkId);
      const seq = this.nextSeq.get(checkId) as number;
      const t = this.now();
      const info = this.insert.run(checkId, seq, kind, JSON.stringify(payload), t, t);
      return this.get(Number(info.lastInsertRowid))!;
    })();
  }

  /**
   * Asks for a fresh update of the check. Updates are rendered from the store when sent, so if the
   * newest row is already a pending update it covers this request too and nothing is written — a
   * burst of log lines costs one indexed read per batch, not a row per batch.
   */
  requestUpdate(checkId: string): boolean {
    return this.db.transaction(() => {
      const newest = this.newest.get(checkId) as Row | undefined;
      if (newest && newest.kind === 'update' && newest.state === 'pending') return false;
      if (newest && newest.kind === 'close') return false; // the close carries the final output
      this.enqueue(checkId, 'update');
      return true;
    })();
  }

  get(id: number): OutboxRow | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row && toRow(row);
  }

  listByCheck(checkId: string): OutboxRow[] {
    return (this.db.prepare('SELECT * FROM outbox WHERE check_id = ? ORDER BY seq').all(checkId) as Row[]).map(toRow);
  }

  /**
   * The next deliverable row of every check: its lowest pending seq, for checks with no row in
   * flight (`sending`) — which is what makes delivery strictly ordered per check.
   */
  heads(): OutboxRow[] {
    const rows = this.db
      .prepare(
        `SELECT o.* FROM outbox o
         JOIN (SELECT check_id, min(seq) AS seq FROM outbox WHERE state IN ('pending', 'sending') GROUP BY check_id) h
           ON h.check_id = o.check_id AND h.seq = o.seq
         WHERE o.state = 'pending' ORDER BY o.id`,
      )
      .all() as Row[];
    return rows.map(toRow);
  }

  markSending(id: number): void {
    this.db.prepare("UPDATE outbox SET state = 'sending' WHERE id = ? AND state = 'pending'").run(id);
  }

  markDone(id: number): void {
    this.db.prepare("UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(this.now(), id);
  }

  /** A failed attempt: back to pending, not before `nextAttemptAt`. */
  markRetry(id: number, nextAttemptAt: number, error: string): void {
    this.db.prepare("UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?").run(nextAttemptAt, error, id);
  }

  markDead(id: number, error: string): void {
    this.db.prepare("UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, done_at = ? WHERE id = ?").run(error, this.now(), id);
  }

  /** Gives up on every remaining row of a check (its open was refused: there is nothing to update). */
  killCheck(checkId: string, error: string): number {
    return this.db.prepare("UPDATE outbox SET state = 'dead', last_error = ?, done_at = ? WHERE check_id = ? AND state IN ('pending', 'sending')").run(error, this.now(), checkId).changes;
  }

  /** After a crash, rows that were in flight are pending again (the write may or may not have landed). */
  resetSending(): number {
    return this.db.prepare("UPDATE outbox SET state = 'pending' WHERE state = 'sending'").run().changes;
  }

  /** When the check's last update was delivered (seeds the per-check update interval after a restart). */
  lastDelivered(checkId: string, kind: OutboxKind): number | null {
    return (this.db.prepare("SELECT max(done_at) FROM outbox WHERE check_id = ? AND kind = ? AND state = 'done'").pluck().get(checkId, kind) as number | null) ?? null;
  }

  /** Rows still to deliver (pending or in flight), over all checks. */
  outstanding(): number {
    return this.db.prepare("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").pluck().get() as number;
  }

  /** Deletes finished rows older than `before` (housekeeping; the outbox is not an audit log). */
  prune(before: number): number {
    return this.db.prepare("DELETE FROM outbox WHERE state IN ('done', 'dead', 'superseded') AND coalesce(done_at, created_at) < ?").run(before).changes;
  }
}
