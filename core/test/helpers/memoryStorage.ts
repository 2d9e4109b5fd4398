/**
 * A Storage kept in memory for tests of the kernel side (index, RPCs, reconciler). Blobs follow the
 * contract: an id exists only once every byte arrived; a stream that throws commits nothing; an
 * upload in progress is listed as `upload` with its job. `leave()` plants what a crash would leave.
 */
import { randomUUID } from 'node:crypto';
import type { BlobInfo, BlobKind, Storage, StorageRef, Volume, WriteBlobOptions } from '@helios-ci/sdk';

export class MemoryStorage implements Storage {
  readonly id = 'memory';
  readonly blobs = new Map<string, { kind: BlobKind; bytes: Buffer }>();
  readonly uploads = new Map<string, string>();
  readonly leftovers: StorageRef[] = [];
  readonly removed: string[] = [];
  writes = 0;

  async cloneImage(): Promise<Volume> {
    throw new Error('MemoryStorage has no images');
  }
  async openWarm(_head: string | null, jobId: string): Promise<Volume> {
    return { id: `warm/${randomUUID()}`, kind: 'warm', location: '/nowhere', jobId };
  }
  async commitWarm(): Promise<string> {
    return `head/${randomUUID()}`;
  }
  async release(): Promise<void> {}

  async writeBlob(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo> {
    this.writes++;
    const upload = `upload/${randomUUID()}`;
    this.uploads.set(upload, options.jobId);
    try {
      const parts: Buffer[] = [];
      for await (const chunk of data) parts.push(Buffer.from(chunk));
      const id = `${kind}/${randomUUID()}`;
      const bytes = Buffer.concat(parts);
      this.blobs.set(id, { kind, bytes });
      return { id, kind, size: bytes.length };
    } finally {
      this.uploads.delete(upload);
    }
  }

  async readBlob(id: string): Promise<AsyncIterable<Uint8Array> | null> {
    const blob = this.blobs.get(id);
    if (!blob) return null;
    const bytes = blob.bytes;
    return (async function* () {
      // Several chunks, so a reader sees a stream, not one buffer.
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
    })();
  }

  async remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    this.removed.push(ref.id);
    this.blobs.delete(ref.id);
    const i = this.leftovers.findIndex((l) => l.id === ref.id);
    if (i >= 0) this.leftovers.splice(i, 1);
  }

  async list(): Promise<StorageRef[]> {
    return [
      ...[...this.blobs].map(([id, b]) => ({ id, kind: b.kind, jobId: null })),
      ...[...this.uploads].map(([id, jobId]) => ({ id, kind: 'upload' as const, jobId })),
      ...this.leftovers,
    ];
  }

  /** What a crash leaves: a half-made upload or volume of a job, or a committed blob nobody indexed. */
  leave(ref: StorageRef, bytes = Buffer.from('left over')): void {
    if (ref.kind === 'cache' || ref.kind === 'artifact') this.blobs.set(ref.id, { kind: ref.kind, bytes });
    else this.leftovers.push(ref);
  }

  /** Total bytes of committed blobs of a kind. */
  bytesOf(kind: BlobKind): number {
    let n = 0;
    for (const b of this.blobs.values()) if (b.kind === kind) n += b.bytes.length;
    return n;
  }
}
