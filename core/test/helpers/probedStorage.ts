/**
 * Any Storage, watched: counts blob writes and records removals, and answers what it holds from its
 * own `list()`. The cache and artifact suites run over storage-dir (the embedded default, real
 * directories) and over the in-memory test Storage through this.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobInfo, BlobKind, Storage, StorageRef, Volume, WriteBlobOptions } from '@helios-ci/sdk';
import { DirStorage } from '@helios-ci/storage-dir';
import { MemoryStorage } from './memoryStorage.js';

export class ProbedStorage implements Storage {
  writes = 0;
  readonly removed: string[] = [];

  constructor(
    readonly inner: Storage,
    private readonly cleanup: () => void = () => undefined,
  ) {}

  get id(): string {
    return this.inner.id;
  }
  cloneImage(image: string, jobId: string): Promise<Volume> {
    return this.inner.cloneImage(image, jobId);
  }
  openWarm(head: string | null, jobId: string): Promise<Volume> {
    return this.inner.openWarm(head, jobId);
  }
  commitWarm(volume: Volume): Promise<string> {
    return this.inner.commitWarm(volume);
  }
  release(volume: Volume): Promise<void> {
    return this.inner.release(volume);
  }
  writeBlob(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo> {
    this.writes++;
    return this.inner.writeBlob(kind, data, options);
  }
  readBlob(id: string): Promise<AsyncIterable<Uint8Array> | null> {
    return this.inner.readBlob(id);
  }
  async remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    this.removed.push(ref.id);
    await this.inner.remove(ref);
  }
  list(): Promise<StorageRef[]> {
    return this.inner.list();
  }

  /** Committed blob ids (of a kind). */
  async blobs(kind?: BlobKind): Promise<string[]> {
    return (await this.inner.list()).filter((r) => (kind ? r.kind === kind : r.kind === 'cache' || r.kind === 'artifact')).map((r) => r.id);
  }

  /** Uploads in progress (or left by a crash). */
  async uploads(): Promise<number> {
    return (await this.inner.list()).filter((r) => r.kind === 'upload').length;
  }

  dispose(): void {
    this.cleanup();
  }
}

export type StorageFlavour = 'storage-dir' | 'memory';

export function probedStorage(flavour: StorageFlavour): ProbedStorage {
  if (flavour === 'memory') return new ProbedStorage(new MemoryStorage());
  const root = mkdtempSync(join(tmpdir(), 'helios-blobs-dir-'));
  return new ProbedStorage(new DirStorage({ id: 'dir', root: join(root, 'storage') }), () => rmSync(root, { recursive: true, force: true }));
}
