/** A disk or directory given to a machine. */
export interface Volume {
  id: string;
  kind: 'image-clone' | 'cache';
  /** Backend-specific location: a dataset name, a zvol path, a directory. */
  location: string;
  jobId: string;
}

export interface StorageRef {
  id: string;
  kind: Volume['kind'] | 'artifact';
  jobId: string | null;
}

/** Image clones, cache volumes and artifacts for machines (ZFS on illumos, directories locally). */
export interface Storage {
  /** A copy-on-write clone of the named image for one job. */
  cloneImage(image: string, jobId: string): Promise<Volume>;
  /** A clone of the cache head for `key` (scoped to a repository by the caller), or null if none. */
  openCache(key: string, jobId: string): Promise<Volume | null>;
  /** Promote a volume as the new cache head for `key` (after a successful job). */
  commitCache(key: string, volume: Volume): Promise<void>;
  /** Destroy a clone; idempotent. */
  release(volume: Volume): Promise<void>;
  putArtifact(jobId: string, name: string, data: AsyncIterable<Uint8Array>): Promise<{ size: number }>;
  getArtifact(jobId: string, name: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Everything this backend holds, for reconciling leaks after a crash. */
  list(): Promise<StorageRef[]>;
}
