/**
 * Run artifacts on the kernel side: the index (store.artifacts, one row per run and name) and the
 * bytes (Storage blobs of kind `artifact`: the zip actions/upload-artifact made, served as is).
 * As with caches the blob is committed before its row, and a row is deleted before its blob.
 */
import { HeliosError, type Logger, type Storage } from '@helios-ci/sdk';
import type { ArtifactRecord, Store } from '../store/index.js';
import { formatBytes, limitBytes } from './byteLimit.js';
import { checkArtifactName } from './names.js';

export interface ArtifactSettings {
  /** limits.maxArtifactBytes */
  maxBytes: number;
  /** artifacts.retentionDays */
  retentionDays: number;
  /** artifacts.maxRetentionDays */
  maxRetentionDays: number;
}

const DAY_MS = 86_400_000;
const BATCH = 500;

export class Artifacts {
  constructor(
    private readonly o: {
      store: Store;
      storage: Storage;
      settings: ArtifactSettings;
      logger: Logger;
    },
  ) {}

  /** Days an artifact is kept: the workflow's retention-days (0: the default), never over the maximum. */
  retentionDays(asked: number): number {
    const { retentionDays, maxRetentionDays } = this.o.settings;
    return Math.max(1, Math.min(asked > 0 ? asked : retentionDays, maxRetentionDays));
  }

  async upload(input: { runId: string; jobId: string; name: string; retentionDays: number; overwrite: boolean; group: string; data: AsyncIterable<Uint8Array> }): Promise<ArtifactRecord> {
    checkArtifactName(input.name);
    const { store, storage, settings } = this.o;
    const existing = store.artifacts.get(input.runId, input.name, 0);
    const live = existing !== undefined && existing.expiresAt > store.clock.now();
    if (live && !input.overwrite) throw exists(input.name);
    const counted = { bytes: 0 };
    const tooLarge = () =>
      new HeliosError('E_ARTIFACT_TOO_LARGE', `artifact ${input.name} is over ${formatBytes(settings.maxBytes)} (limits.maxArtifactBytes); nothing was kept — upload less, or raise the limit`, {
        facts: { limit: settings.maxBytes },
      });
    const blob = await storage.writeBlob('artifact', limitBytes(input.data, settings.maxBytes, tooLarge, counted), { jobId: input.jobId, group: input.group });
    const createdAt = store.clock.now();
    const row = {
      runId: input.runId,
      jobId: input.jobId,
      name: input.name,
      blobId: blob.id,
      size: blob.size,
      createdAt,
      expiresAt: createdAt + this.retentionDays(input.retentionDays) * DAY_MS,
    };
    if (input.overwrite || existing) {
      // Overwrite (or an expired one not yet pruned): the new row replaces the old, then its bytes go.
      const old = store.artifacts.replace(row);
      if (old && old.blobId !== blob.id) await this.removeBlob(old.blobId);
    } else if (!store.artifacts.insert(row)) {
      // Another job of the run uploaded the same name meanwhile: the first one stays.
      await this.removeBlob(blob.id);
      throw exists(input.name);
    }
    this.o.logger.info('artifact stored', { runId: input.runId, jobId: input.jobId, name: input.name, size: blob.size, overwrite: input.overwrite });
    return store.artifacts.get(input.runId, input.name)!;
  }

  list(runId: string): ArtifactRecord[] {
    return this.o.store.artifacts.list(runId);
  }

  /** The artifact and its bytes; null when the run has none of that name (or it expired, or its bytes are gone). */
  async open(runId: string, name: string): Promise<{ artifact: ArtifactRecord; data: AsyncIterable<Uint8Array> } | null> {
    const artifact = this.o.store.artifacts.get(runId, name);
    if (!artifact) return null;
    const data = await this.o.storage.readBlob(artifact.blobId);
    if (!data) {
      this.o.logger.warn('an artifact row has no bytes in storage', { runId, name, blob: artifact.blobId });
      return null;
    }
    return { artifact, data };
  }

  /** Removes one artifact, row then bytes (the artifact service's DeleteArtifact). */
  async remove(artifact: ArtifactRecord): Promise<boolean> {
    if (!this.o.store.artifacts.delete(artifact.runId, artifact.name, artifact.blobId)) return false;
    await this.removeBlob(artifact.blobId);
    return true;
  }

  /** Removes every artifact of a run, rows then bytes (`helios run`, once it extracted them). */
  async removeRun(runId: string): Promise<number> {
    let n = 0;
    for (const a of this.o.store.artifacts.list(runId)) {
      if (!this.o.store.artifacts.delete(a.runId, a.name, a.blobId)) continue;
      await this.removeBlob(a.blobId);
      n++;
    }
    return n;
  }

  /** Retention: removes every artifact whose expiry passed. */
  async expire(): Promise<ArtifactRecord[]> {
    const removed: ArtifactRecord[] = [];
    for (;;) {
      const batch = this.o.store.artifacts.listExpired(this.o.store.clock.now(), BATCH);
      for (const a of batch) {
        if (!this.o.store.artifacts.delete(a.runId, a.name, a.blobId)) continue;
        await this.removeBlob(a.blobId);
        removed.push(a);
      }
      if (batch.length < BATCH) break;
    }
    if (removed.length) this.o.logger.info('expired artifacts removed', { count: removed.length });
    return removed;
  }

  private async removeBlob(id: string): Promise<void> {
    try {
      await this.o.storage.remove({ id, kind: 'artifact' });
    } catch (err) {
      this.o.logger.warn('removing an artifact blob failed; the storage reconciler removes it at the next start', { blob: id, error: err });
    }
  }
}

function exists(name: string): HeliosError {
  return new HeliosError(
    'E_ARTIFACT_EXISTS',
    `an artifact named ${name} already exists on this workflow run; give it another name, or set overwrite: true on actions/upload-artifact to replace it`,
  );
}
