/**
 * The cache operations both toolkit protocols (v1 REST, v2 Twirp) map onto — over the same
 * Caches index, scopes and limits as the native actions/cache, so an entry saved one way restores
 * the other way when its version agrees (same paths, same compression: the native agent writes
 * gzip, the toolkit writes zstd when the job's machine has zstd, gzip otherwise).
 */
import { HeliosError } from '@helios-ci/sdk';
import type { BlobServices } from '../blobs/blobServices.js';
import { formatBytes } from '../blobs/byteLimit.js';
import { cacheScopesOf, type CacheScopes } from '../blobs/cacheScopes.js';
import { checkCacheKey, checkCacheKeys, checkCacheVersion } from '../blobs/names.js';
import type { CacheEntryRecord, RunRecord } from '../store/index.js';
import type { Pending, PendingUploads } from './pendingUploads.js';

export interface RuntimeJob {
  run: RunRecord;
  jobId: string;
  /**
   * `http://host:port` the step reached the service at (its Host header): signed blob URLs go back
   * to it, since a sandboxed step reaches the service through a relay, not at the advertised address.
   */
  origin?: string;
}

export class RuntimeCaches {
  constructor(
    private readonly o: { blobs: BlobServices; uploads: PendingUploads; defaultBranch: string; maxEntryBytes: number },
  ) {}

  scopes(job: RuntimeJob): CacheScopes {
    return cacheScopesOf(job.run, this.o.defaultBranch);
  }

  /** The entry a restore gets (primary key exactly, then prefixes), or null. */
  lookup(job: RuntimeJob, keys: string[], version: string): { entry: CacheEntryRecord; exact: boolean } | null {
    return this.o.blobs.caches.find(this.scopes(job), keys, version);
  }

  /** Entries with this key in any scope the job reads, any version (v1's diagnostic listing). */
  listKey(job: RuntimeJob, key: string): CacheEntryRecord[] {
    const scopes = this.scopes(job);
    return this.o.blobs.cacheStore.caches
      .list(scopes.repo)
      .filter((e) => e.key === key && scopes.read.some((r) => r.scope === e.scope && r.trusted.includes(e.trusted)));
  }

  entry(id: number): CacheEntryRecord | undefined {
    return this.o.blobs.cacheStore.caches.get(id);
  }

  read(entry: CacheEntryRecord): Promise<AsyncIterable<Uint8Array> | null> {
    return this.o.blobs.caches.read(entry);
  }

  /** Reserves (key, version) in the job's own scope; E_CONFLICT when it exists or another job is uploading it. */
  async reserve(job: RuntimeJob, key: string, version: string, size?: number): Promise<Pending> {
    checkCacheKey(key);
    checkCacheVersion(version);
    if (size !== undefined && size > this.o.maxEntryBytes) throw this.tooLarge(key)();
    const scopes = this.scopes(job);
    const where = { repo: scopes.repo, scope: scopes.write, trusted: [scopes.trusted], version };
    const taken = this.o.uploads.find((p) => p.kind === 'cache' && p.repo === scopes.repo && p.scope === scopes.write && p.key === key && p.version === version);
    if (taken || this.o.blobs.cacheStore.caches.exact(where, key)) {
      throw new HeliosError('E_CONFLICT', `Unable to reserve cache with key ${key}: an entry with this key and version ${taken ? 'is being uploaded by another job' : 'already exists'} in ${scopes.write}; cache entries are immutable — change the key to save a new one`);
    }
    return this.o.uploads.begin({ kind: 'cache', key, version, scope: scopes.write, repo: scopes.repo }, { runId: job.run.id, jobId: job.jobId }, this.o.maxEntryBytes, this.tooLarge(key));
  }

  /**
   * Stores the staged bytes as the entry and ends the upload either way. `size`: what the client
   * says it sent; a different staged size is an incomplete upload, and nothing is stored.
   */
  async finalize(job: RuntimeJob, pending: Pending, size: number | null): Promise<CacheEntryRecord> {
    if (pending.kind !== 'cache') throw new HeliosError('E_INTERNAL', 'not a cache upload');
    try {
      const staged = await pending.staged.size();
      if (staged === null) throw new HeliosError('E_UPLOAD_INCOMPLETE', `no bytes were uploaded for cache key ${pending.key}; nothing was saved`);
      if (size !== null && size !== staged) throw new HeliosError('E_UPLOAD_INCOMPLETE', `cache key ${pending.key}: the client reports ${size} bytes, ${staged} arrived; nothing was saved — save again`);
      const result = await this.o.blobs.caches.save(this.scopes(job), { jobId: job.jobId, key: pending.key, version: pending.version, data: pending.staged.read() });
      if (!result.stored) throw new HeliosError('E_CONFLICT', result.reason);
      const scopes = this.scopes(job);
      const entry = this.o.blobs.cacheStore.caches.exact({ repo: scopes.repo, scope: scopes.write, trusted: [scopes.trusted], version: pending.version }, pending.key);
      if (!entry) throw new HeliosError('E_INTERNAL', `cache entry ${pending.key} was saved but is not in the index`);
      return entry;
    } finally {
      await this.o.uploads.end(pending);
    }
  }

  /** This job's upload of (key, version) into `scope`, if it reserved one. */
  pendingOf(job: RuntimeJob, key: string, version: string, scope: string): Pending | undefined {
    return this.o.uploads.find((p) => p.kind === 'cache' && p.jobId === job.jobId && p.scope === scope && p.key === key && p.version === version);
  }

  pendingByNumber(n: number): Pending | undefined {
    return this.o.uploads.byNumber(n);
  }

  /** Ends an upload without storing anything. */
  drop(pending: Pending): Promise<void> {
    return this.o.uploads.end(pending);
  }

  checkRestore(keys: string[], version: string): void {
    checkCacheKeys(keys);
    checkCacheVersion(version);
  }

  private tooLarge(key: string): () => HeliosError {
    return () =>
      new HeliosError('E_CACHE_TOO_LARGE', `cache entry ${key} is over ${formatBytes(this.o.maxEntryBytes)} (limits.maxCacheEntryBytes); nothing was saved — cache less, or raise the limit`, { facts: { limit: this.o.maxEntryBytes } });
  }
}
