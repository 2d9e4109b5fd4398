import type { Database, Statement } from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import type { InboxRecord, InboxStatus } from '../records.js';

interface Row {
  id: number;
  forge: string;
  delivery_id: string;
  kind: string;
  payload_json: string;
  status: InboxStatus;
  error: string | null;
  received_at: number;
  updated_at: number;
}

const toRecord = (r: Row): InboxRecord => ({
  id: r.id,
  forge: r.forge,
  deliveryId: r.delivery_id,
  kind: r.kind,
  payload: JSON.parse(r.payload_json),
  status: r.status,
  error: r.error,
  receivedAt: r.received_at,
  updatedAt: r.updated_at,
});

/** Webhook deliveries, stored before the 202 is sent; (forge, deliveryId) is unique, so redeliveries dedupe. */
export class InboxRepo {
  private readonly insert: Statement;
  private readonly byKey: Statement;
  private readonly byId: Statement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.insert = db.prepare(
      `INSERT INTO inbox (forge, delivery_id, kind, payload_json, status, received_at, updated_at)
       VALUES (?, ?, ?, ?, 'received', ?, ?) ON CONFLICT (forge, delivery_id) DO NOTHING`,
    );
    this.byKey = db.prepare('SELECT * FROM inbox WHERE forge = ? AND delivery_id = ?');
    this.byId = db.prepare('SELECT * FROM inbox WHERE id = ?');
  }

  /** Stores a delivery; `duplicate` is true (and nothing changes) when it was seen before. */
  receive(delivery: { forge: string; deliveryId: string; kind: string; payload: unknown }): { record: InboxRecord; duplicate: boolean } {
    const t = this.now();
    const info = this.insert.run(delivery.forge, delivery.deliveryId, delivery.kind, JSON.stringify(delivery.payload), t, t);
    const record = toRecord(this.byKey.get(delivery.forge, delivery.deliveryId) as Row);
    return { record, duplicate: info.changes === 0 };
  }

  get(id: number): InboxRecord | undefined {
    const row = this.byId.get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** Deliveries not planned yet, oldest first (the planner's work list, also after a restart). */
  received(limit = 100): InboxRecord[] {
    return (this.db.prepare("SELECT * FROM inbox WHERE status = 'received' ORDER BY id LIMIT ?").all(limit) as Row[]).map(toRecord);
  }

  /** Deliveries stored per forge instance (duplicates are not stored, so not counted). */
  countByForge(): Record<string, number> {
    const rows = this.db.prepare('SELECT forge, count(*) AS n FROM inbox GROUP BY forge').all() as { forge: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.forge, r.n]));
  }

  markPlanned(id: number): InboxRecord {
    return this.transition(id, 'planned', null);
  }

  /** Planning failed for good (the error is kept for the UI). */
  markFailed(id: number, error: string): InboxRecord {
    return this.transition(id, 'failed', error);
  }

  private transition(id: number, to: InboxStatus, error: string | null): InboxRecord {
    const info = this.db.prepare("UPDATE inbox SET status = ?, error = ?, updated_at = ? WHERE id = ? AND status = 'received'").run(to, error, this.now(), id);
    const record = this.get(id);
    if (!record) throw new HeliosError('E_INBOX_NOT_FOUND', `inbox delivery ${id} does not exist; pass the id InboxRepo.receive() returned`);
    if (info.changes === 0) {
      throw new HeliosError('E_INBOX_STATE', `inbox delivery ${id} is already ${record.status}; only a received delivery can become ${to}`, { facts: { id, from: record.status, to } });
    }
    return record;
  }
}
