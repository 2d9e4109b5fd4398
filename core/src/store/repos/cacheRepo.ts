import type { Database } from 'better-sqlite3';
import type { CacheEntryRecord } from '../records.js';

interface Row {
  id: number;
  repo: string;
  scope: string;
  trusted: number;
  key: string;
  version: string;
  blob_id: string;
  size: number;
  created_at: number;
  last_used_at: number;
}

const toRecord = (r: Row): CacheEntryRecord => ({
  id: r.id,
  repo: r.repo,
  scope: r.scope,
  trusted: r.trusted === 1,
  key: r.key,
  version: r.version,
  blobId: r.blob_id,
  size: r.size,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

/**
 * The highest code point: every string that starts with a prefix p sorts (SQLite's BINARY
 * collation, byte order of UTF-8) between p and p + U+10FFFF, so a prefix search is an index range.
 */
const TOP = String.fromCodePoint(0x10ffff);

export interface CacheLookup {
  repo: string;
  scope: string;
  /** Which writers' entries may be read: [true] for trusted runs; [true, false] in an untrusted run's own scope. */
  trusted: readonly boolean[];
  version: string;
}

export interface NewCacheEntry {
  repo: string;
  scope: string;
  trusted: boolean;
  key: string;
  version: string;
  blobId: string;
  size: number;
}

/** actions/cache entries (the bytes live in Storage); unique per (repo, scope, trusted, key, version). */
export class CacheRepo {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  /** Adds an entry; null (nothing written) when the same key and version already exist in that scope. */
  insert(input: NewCacheEntry): CacheEntryRecord | null {
    const at = this.now();
    const row = this.db
      .prepare(
        `INSERT INTO cache_entries (repo, scope, trusted, key, version, blob_id, size, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, scope, trusted, key, version) DO NOTHING RETURNING *`,
      )
      .get(input.repo, input.scope, input.trusted ? 1 : 0, input.key, input.version, input.blobId, input.size, at, at) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  /** The entry with exactly this key. */
  exact(where: CacheLookup, key: string): CacheEntryRecord | undefined {
    const row = this.db
      .prepare(`SELECT * FROM cache_entries WHERE repo = ? AND scope = ? AND trusted IN (${marks(where.trusted)}) AND version = ? AND key = ? ORDER BY created_at DESC, id DESC LIMIT 1`)
      .get(where.repo, where.scope, ...flags(where.trusted), where.version, key) as Row | undefined;
    return row && toRecord(row);
  }

  /** The newest entry whose key starts with `prefix`. */
  newestWithPrefix(where: CacheLookup, prefix: string): CacheEntryRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM cache_entries WHERE repo = ? AND scope = ? AND trusted IN (${marks(where.trusted)}) AND version = ?
           AND key >= ? AND key <= ? AND substr(key, 1, length(?)) = ?
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      )
      .get(where.repo, where.scope, ...flags(where.trusted), where.version, prefix, prefix + TOP, prefix, prefix) as Row | undefined;
    return row && toRecord(row);
  }

  /** Marks an entry used (restore), which is what LRU eviction and idle expiry go by. */
  touch(id: number): void {
    this.db.prepare('UPDATE cache_entries SET last_used_at = ? WHERE id = ?').run(this.now(), id);
  }

  get(id: number): CacheEntryRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cache_entries WHERE id = ?').get(id) as Row | undefined;
    return row && toRecord(row);
  }

  /** Entries of one repository (or all), most recently used first. */
  list(repo?: string): CacheEntryRecord[] {
    const rows = repo
      ? this.db.prepare('SELECT * FROM cache_entries WHERE repo = ? ORDER BY last_used_at DESC, id DESC').all(repo)
      : this.db.prepare('SELECT * FROM cache_entries ORDER BY repo, last_used_at DESC, id DESC').all();
    return (rows as Row[]).map(toRecord);
  }

  /** Repositories with entries and their total size. */
  usage(): { repo: string; bytes: number; entries: number }[] {
    return this.db.prepare('SELECT repo, sum(size) AS bytes, count(*) AS entries FROM cache_entries GROUP BY repo ORDER BY repo').all() as { repo: string; bytes: number; entries: number }[];
  }

  /** Least recently used first: eviction order. */
  leastRecentlyUsed(repo: string, limit: number): CacheEntryRecord[] {
    return (this.db.prepare('SELECT * FROM cache_entries WHERE repo = ? ORDER BY last_used_at, id LIMIT ?').all(repo, limit) as Row[]).map(toRecord);
  }

  /** Entries (of one repository, or all) last used before `before`, oldest first. */
  idleSince(before: number, limit: number, repo?: string): CacheEntryRecord[] {
    const rows = repo
      ? this.db.prepare('SELECT * FROM cache_entries WHERE repo = ? AND last_used_at < ? ORDER BY last_used_at, id LIMIT ?').all(repo, before, limit)
      : this.db.prepare('SELECT * FROM cache_entries WHERE last_used_at < ? ORDER BY last_used_at, id LIMIT ?').all(before, limit);
    return (rows as Row[]).map(toRecord);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM cache_entries WHERE id = ?').run(id).changes === 1;
  }

  /** Every blob id an entry references (the reconciler keeps these). */
  blobIds(): Set<string> {
    return new Set(this.db.prepare('SELECT blob_id FROM cache_entries').pluck().all() as string[]);
  }
}

const marks = (values: readonly unknown[]): string => values.map(() => '?').join(', ');
const flags = (trusted: readonly boolean[]): number[] => trusted.map((t) => (t ? 1 : 0));
