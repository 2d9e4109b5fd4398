/**
 * Uploads between their reservation (CreateCacheEntry, v1 reserve, CreateArtifact) and their
 * finalize: in memory, each with its staged bytes. An upload belongs to its job; when the job is no
 * longer running its uploads are dropped with their bytes (nothing of them was stored).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { HeliosError } from '@helios-ci/sdk';
import { StagedUpload } from './stagedUpload.js';

export interface PendingCache {
  kind: 'cache';
  key: string;
  version: string;
  /** The scope the entry will be written to (the run's own). */
  scope: string;
  repo: string;
}

export interface PendingArtifact {
  kind: 'artifact';
  name: string;
  retentionDays: number;
}

export type Pending = (PendingCache | PendingArtifact) & {
  id: string;
  /** v1 cache ids are numbers. */
  number: number;
  runId: string;
  jobId: string;
  staged: StagedUpload;
};

export class PendingUploads {
  private readonly byId = new Map<string, Pending>();
  private next = 1;

  constructor(private readonly dir: string) {}

  async begin(what: PendingCache | PendingArtifact, job: { runId: string; jobId: string }, maxBytes: number, tooLarge: () => HeliosError): Promise<Pending> {
    const id = randomUUID();
    const staged = await StagedUpload.create(join(this.dir, id), maxBytes, tooLarge);
    const pending: Pending = { ...what, id, number: this.next++, runId: job.runId, jobId: job.jobId, staged };
    this.byId.set(id, pending);
    return pending;
  }

  get(id: string): Pending | undefined {
    return this.byId.get(id);
  }

  byNumber(n: number): Pending | undefined {
    for (const p of this.byId.values()) if (p.number === n) return p;
    return undefined;
  }

  find(match: (p: Pending) => boolean): Pending | undefined {
    for (const p of this.byId.values()) if (match(p)) return p;
    return undefined;
  }

  async end(p: Pending): Promise<void> {
    this.byId.delete(p.id);
    await p.staged.discard();
  }

  /** Drops the uploads of jobs that no longer run. */
  async sweep(isLive: (jobId: string) => boolean): Promise<number> {
    let n = 0;
    for (const p of [...this.byId.values()]) {
      if (isLive(p.jobId)) continue;
      await this.end(p);
      n++;
    }
    return n;
  }

  async clear(): Promise<void> {
    for (const p of [...this.byId.values()]) await this.end(p);
  }
}
