import { HeliosError } from '@helios-ci/sdk';
import type { BlobDownload, BlobJob, JobBlobs, UploadOutcome } from '../agent-service/types.js';
import type { RunRecord, Store } from '../store/index.js';
import type { Artifacts } from './artifacts.js';
import type { Caches } from './caches.js';
import { cacheScopesOf, repoKeyOf } from './cacheScopes.js';

/**
 * The agent RPCs' view of caches and artifacts: each call is resolved to the job's run, whose
 * repository, ref, event and trust decide the cache scopes, and whose id scopes the artifacts.
 */
export class RunBlobs implements JobBlobs {
  constructor(
    private readonly o: { store: Store; caches: () => Caches; artifacts: Artifacts; defaultBranch: string },
  ) {}

  saveCache(job: BlobJob, upload: { key: string; version: string; data: AsyncIterable<Uint8Array> }): Promise<UploadOutcome> {
    const run = this.runOf(job);
    return this.o.caches().save(cacheScopesOf(run, this.o.defaultBranch), { jobId: job.jobId, ...upload });
  }

  async restoreCache(job: BlobJob, query: { keys: string[]; version: string; lookupOnly: boolean }): Promise<BlobDownload | null> {
    const run = this.runOf(job);
    const match = this.o.caches().find(cacheScopesOf(run, this.o.defaultBranch), query.keys, query.version);
    if (!match) return null;
    const found = { name: match.entry.key, size: match.entry.size, exact: match.exact };
    if (query.lookupOnly) return { ...found, data: null };
    const data = await this.o.caches().read(match.entry);
    // Evicted between the lookup and the read: a miss, as if it had gone a moment earlier.
    return data ? { ...found, data } : null;
  }

  async uploadArtifact(job: BlobJob, upload: { name: string; retentionDays: number; overwrite: boolean; data: AsyncIterable<Uint8Array> }): Promise<UploadOutcome> {
    const run = this.runOf(job);
    const artifact = await this.o.artifacts.upload({ runId: run.id, jobId: job.jobId, group: repoKeyOf(run), ...upload });
    return { size: artifact.size, stored: true, reason: '' };
  }

  async downloadArtifact(job: BlobJob, name: string): Promise<BlobDownload | null> {
    const found = await this.o.artifacts.open(this.runOf(job).id, name);
    return found && { name: found.artifact.name, size: found.artifact.size, exact: true, data: found.data };
  }

  async listArtifacts(job: BlobJob): Promise<{ name: string; size: number }[]> {
    return this.o.artifacts.list(this.runOf(job).id).map((a) => ({ name: a.name, size: a.size }));
  }

  private runOf(job: BlobJob): RunRecord {
    const run = this.o.store.runs.get(job.runId);
    if (!run) throw new HeliosError('E_RUN_NOT_FOUND', `run ${job.runId} of job ${job.jobId} is not in the store; the job cannot use caches or artifacts`);
    return run;
  }
}
