/**
 * upload-artifact@v4 / download-artifact@v4's artifact service over the run's artifacts (the same
 * rows and Storage blobs the native built-ins use). A job's token reaches only its own run's
 * artifacts, as on GitHub without a `github-token`: any job of the run may list and download them,
 * only the job itself creates under its id.
 */
import { createHash } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';
import type { Artifacts } from '../blobs/artifacts.js';
import { repoKeyOf } from '../blobs/cacheScopes.js';
import { formatBytes } from '../blobs/byteLimit.js';
import { checkArtifactName } from '../blobs/names.js';
import type { ArtifactRecord } from '../store/index.js';
import type { Pending, PendingUploads } from './pendingUploads.js';
import type { RuntimeJob } from './runtimeCaches.js';

const DAY_MS = 86_400_000;

export class RuntimeArtifacts {
  constructor(private readonly o: { artifacts: Artifacts; uploads: PendingUploads; maxBytes: number; now: () => number }) {}

  /** The run ids in a request must be the token's own: other runs' artifacts are not this job's to see. */
  checkRun(job: RuntimeJob, runBackendId: string): void {
    if (runBackendId !== job.run.id) {
      throw new HeliosError('E_FORBIDDEN', `this job's ACTIONS_RUNTIME_TOKEN is for run ${job.run.id}; it cannot reach the artifacts of run ${runBackendId || '(none given)'}`);
    }
  }

  async create(job: RuntimeJob, req: { runId: string; jobId: string; name: string; expiresAt: number | null }): Promise<Pending> {
    this.checkRun(job, req.runId);
    if (req.jobId !== job.jobId) throw new HeliosError('E_FORBIDDEN', `an artifact is created by the job whose token is used (${job.jobId}), not by job ${req.jobId || '(none given)'}`);
    checkArtifactName(req.name);
    if (this.o.artifacts.list(job.run.id).some((a) => a.name === req.name)) {
      throw new HeliosError('E_ARTIFACT_EXISTS', `an artifact named ${req.name} already exists on this workflow run; give it another name, or set overwrite: true on actions/upload-artifact to replace it`);
    }
    const retentionDays = req.expiresAt === null ? 0 : Math.max(1, Math.ceil((req.expiresAt - this.o.now()) / DAY_MS));
    const earlier = this.o.uploads.find((p) => p.kind === 'artifact' && p.runId === job.run.id && p.name === req.name);
    if (earlier) {
      if (earlier.jobId !== job.jobId) throw new HeliosError('E_ARTIFACT_EXISTS', `job ${earlier.jobId} of this run is uploading an artifact named ${req.name}; give this one another name`);
      await this.o.uploads.end(earlier);
    }
    return this.o.uploads.begin({ kind: 'artifact', name: req.name, retentionDays }, { runId: job.run.id, jobId: job.jobId }, this.o.maxBytes, () =>
      new HeliosError('E_ARTIFACT_TOO_LARGE', `artifact ${req.name} is over ${formatBytes(this.o.maxBytes)} (limits.maxArtifactBytes); nothing was kept — upload less, or raise the limit`, { facts: { limit: this.o.maxBytes } }),
    );
  }

  /** Stores what was staged for `name` when its size (and sha256, when given) match; ends the upload either way. */
  async finalize(job: RuntimeJob, req: { runId: string; jobId: string; name: string; size: number; hash: string | null }): Promise<ArtifactRecord> {
    this.checkRun(job, req.runId);
    const pending = this.o.uploads.find((p) => p.kind === 'artifact' && p.runId === job.run.id && p.jobId === job.jobId && p.name === req.name);
    if (!pending) throw new HeliosError('E_NOT_FOUND', `no upload of an artifact named ${req.name} was started by this job (CreateArtifact first)`);
    try {
      const staged = await pending.staged.size();
      if (staged === null) throw new HeliosError('E_UPLOAD_INCOMPLETE', `no bytes of artifact ${req.name} arrived (the block list was never committed); nothing was kept`);
      if (staged !== req.size) throw new HeliosError('E_UPLOAD_INCOMPLETE', `artifact ${req.name}: the client reports ${req.size} bytes, ${staged} arrived; nothing was kept — upload it again`);
      if (req.hash) {
        const want = req.hash.replace(/^sha256:/, '');
        const hash = createHash('sha256');
        for await (const chunk of pending.staged.read()) hash.update(chunk);
        if (hash.digest('hex') !== want) throw new HeliosError('E_UPLOAD_INCOMPLETE', `artifact ${req.name}: the bytes that arrived do not have the sha256 the client computed; nothing was kept — upload it again`);
      }
      const p = pending as Pending & { kind: 'artifact' };
      return await this.o.artifacts.upload({ runId: job.run.id, jobId: job.jobId, name: req.name, retentionDays: p.retentionDays, overwrite: false, group: repoKeyOf(job.run), data: pending.staged.read() });
    } finally {
      await this.o.uploads.end(pending);
    }
  }

  list(job: RuntimeJob, req: { runId: string; name: string | null; id: number | null }): ArtifactRecord[] {
    this.checkRun(job, req.runId);
    return this.o.artifacts.list(job.run.id).filter((a) => (req.name === null || a.name === req.name) && (req.id === null || artifactIdOf(a) === req.id));
  }

  get(job: RuntimeJob, runId: string, name: string): ArtifactRecord {
    this.checkRun(job, runId);
    const found = this.o.artifacts.list(job.run.id).find((a) => a.name === name);
    if (!found) throw new HeliosError('E_ARTIFACT_NOT_FOUND', `no artifact named ${name} in run ${runId} (or it expired)`);
    return found;
  }

  async remove(job: RuntimeJob, runId: string, name: string): Promise<ArtifactRecord> {
    const found = this.get(job, runId, name);
    await this.o.artifacts.remove(found);
    return found;
  }
}

/**
 * The artifact's numeric id (the Twirp API's database_id): the store keys artifacts by run and
 * name, so the id is derived from run, name and blob — stable while the artifact lives, new when
 * it is overwritten, and within JavaScript's safe integers (the toolkit turns it into a Number).
 */
export function artifactIdOf(a: Pick<ArtifactRecord, 'runId' | 'name' | 'blobId'>): number {
  const h = createHash('sha256').update(`${a.runId}\n${a.name}\n${a.blobId}`).digest();
  return h.readUIntBE(0, 6) + 1;
}
