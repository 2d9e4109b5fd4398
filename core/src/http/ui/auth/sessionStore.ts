import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';

export interface Session {
  idHash: string;
  provider: string;
  login: string;
  token: string;
  csrf: string;
  expiresAt: number;
}

const hash = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

/** Sign-in sessions in the store (ui_sessions): the cookie value is the id, only its hash is kept. */
export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** Creates a session; returns the cookie value (shown once, never stored). */
  create(s: { provider: string; login: string; token: string; ttlMs: number }): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { idHash: hash(id), provider: s.provider, login: s.login, token: s.token, csrf: randomBytes(24).toString('base64url'), expiresAt: this.now() + s.ttlMs };
    this.db
      .prepare('INSERT INTO ui_sessions (id_hash, provider, login, token, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(session.idHash, session.provider, session.login, session.token, session.csrf, this.now(), session.expiresAt);
    return { id, session };
  }

  get(id: string): Session | null {
    const row = this.db.prepare('SELECT id_hash AS idHash, provider, login, token, csrf, expires_at AS expiresAt FROM ui_sessions WHERE id_hash = ?').get(hash(id)) as Session | undefined;
    if (!row) return null;
    if (row.expiresAt <= this.now()) {
      this.delete(id);
      return null;
    }
    return row;
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM ui_sessions WHERE id_hash = ?').run(hash(id));
  }

  pruneExpired(): number {
    return this.db.prepare('DELETE FROM ui_sessions WHERE expires_at <= ?').run(this.now()).changes;
  }
}
