/**
 * Migration 9: web UI sign-in sessions (issue 18). The cookie carries a random id; only its SHA-256
 * is stored, so a leaked database does not hand out live sessions. `token` is the user's forge
 * token (asked for repository permissions); `csrf` is the per-session token every form and
 * mutating request must echo. FROZEN once released.
 */
export const name = 'ui_sessions';

export const sql = `
CREATE TABLE ui_sessions (
  id_hash    TEXT    PRIMARY KEY,
  provider   TEXT    NOT NULL,
  login      TEXT    NOT NULL,
  token      TEXT    NOT NULL,
  csrf       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX ui_sessions_expiry ON ui_sessions(expires_at);
`;
