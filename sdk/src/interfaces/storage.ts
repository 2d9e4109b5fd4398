/**
 * Storage: disks and directories for machines, and the bytes of caches and artifacts.
 *
 * The backend holds data; the kernel holds the index (which cache key, scope and version a blob is,
 * which artifact of which run, which warm head belongs to which repository/branch/job). Ids the
 * backend returns are opaque to the kernel and stored as they are.
 *
 * Crash safety is part of the contract: nothing half-made is ever visible under a committed id, and
 * everything half-made is reported by `list()` with the job that was making it, so the reconciler can
 * `remove()` it when no live job owns it.
 *
 * Names and ids are checked before anything is touched (`checkStorageName`, `checkStorageId`): a job
 * id or image name outside 1-128 of `[A-Za-z0-9._-]` (leading letter or digit, no `..`), or an id
 * outside the id form, is `E_STORAGE_NAME_INVALID`. A well-formed id the backend does not hold (gone,
 * or never its own) is simply unknown: `readBlob` gives null, `remove`/`release` do nothing,
 * `openWarm` starts empty.
 */

/** What a volume is for. */
export type VolumeKind = 'image-clone' | 'warm';

/** A disk or directory given to one job's machine. */
export interface Volume {
  /** Backend id, unique within this storage instance (`[A-Za-z0-9._/-]`, no `..`). */
  id: string;
  kind: VolumeKind;
  /**
   * Where the machine finds it: a host directory for local runtimes (a dataset's mountpoint, a plain
   * directory) or a device path for VM runtimes (a zvol on illumos).
   */
  location: string;
  jobId: string;
}

/** What a blob holds; the backend may place the kinds apart (datasets, directories, compression). */
export type BlobKind = 'cache' | 'artifact';

export interface BlobInfo {
  /** Opaque backend id (`[A-Za-z0-9._/-]`, no `..`); the kernel stores it in its index. */
  id: string;
  kind: BlobKind;
  /** Bytes as written by the caller (before any backend compression). */
  size: number;
}

export interface WriteBlobOptions {
  /** The job writing it; an upload in progress is listed with this job until it completes. */
  jobId: string;
  /**
   * Quota group: the repository (`forge/owner/name`). Backends that enforce a per-repository quota
   * refuse a write that would exceed it with `E_STORAGE_QUOTA`.
   */
  group: string;
}

/** Everything a backend holds, as `list()` reports it for reconciliation. */
export interface StorageRef {
  id: string;
  kind: VolumeKind | 'warm-head' | BlobKind | 'upload';
  /** The job that owns it while it is in use or being made (volumes, uploads); null for committed data. */
  jobId: string | null;
}

/** What one `Storage.prunePrepared` pass did, as `<image>/<name>`. */
export interface PrunedPrepared {
  removed: string[];
  /** Expired, but a job's clone still uses it: kept until a later pass. */
  inUse: string[];
}

/** Image clones, warm-path volumes, cache entries and artifacts (ZFS on illumos, directories anywhere). */
export interface Storage {
  /** Instance name, for logs. */
  readonly id: string;
  /**
   * A copy-on-write clone of the named golden image for one job (`zfs clone image@snapshot`: constant
   * time whatever the size), or of its prepared image `prepared` (keepPrepared) when given. Unknown
   * image: `E_STORAGE_IMAGE_NOT_FOUND`.
   */
  cloneImage(image: string, jobId: string, prepared?: string): Promise<Volume>;
  /**
   * Optional (runtimes' `prepared` snapshots): snapshots an image clone in use as the prepared image
   * `name` of the image it was cloned from; when the clone is released it is kept (as that prepared
   * image) instead of destroyed. `cloneImage(image, jobId, name)` then clones it.
   */
  keepPrepared?(volume: Volume, name: string): Promise<void>;
  /** Optional: whether the prepared image `name` of `image` exists. */
  hasPrepared?(image: string, name: string): Promise<boolean>;
  /**
   * Optional: removes the prepared images the backend's own settings say have expired (storage-zfs:
   * unused for preparedMaxAgeDays, beyond preparedKeepPerImage). Core's storage housekeeping calls it
   * on each pass (at start, then every caches.housekeepingIntervalMinutes) with its clock's time. A
   * prepared image a job's clone still uses is never removed: it is reported `inUse` and retried on a
   * later pass. Returns `<image>/<name>` of each.
   */
  prunePrepared?(now: number): Promise<PrunedPrepared>;
  /**
   * A writable volume for one job's warm paths: a clone of the warm head `head` (an id `commitWarm`
   * returned), or empty when `head` is null or no longer exists.
   */
  openWarm(head: string | null, jobId: string): Promise<Volume>;
  /**
   * Freezes a job's warm volume (after its machine is destroyed) into a new warm head and returns the
   * head's id. The volume is consumed: a later `release(volume)` is a no-op. Heads that clones were
   * made from stay usable by those clones until the clones are released.
   */
  commitWarm(volume: Volume): Promise<string>;
  /** Destroys a clone or warm volume; idempotent ("already gone" is done), also on a half-made one. */
  release(volume: Volume): Promise<void>;
  /**
   * Stores a stream under a new id, atomically: the id exists only once every byte is durable. When
   * the stream throws nothing is committed and the partial upload is removed (or, after a crash, listed
   * as `upload` with its job). The backend cannot tell a short stream from a complete one: a caller that
   * knows the size (or sees its client disconnect) makes its stream throw instead of ending.
   */
  writeBlob(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo>;
  /**
   * The bytes of a committed blob, or null when the id is unknown. A read in progress when the blob is
   * removed either returns every byte or fails; it never ends early without an error.
   */
  readBlob(id: string): Promise<AsyncIterable<Uint8Array> | null>;
  /**
   * Removes anything `list()` reports or an id this backend returned (blob, warm head, volume); idempotent.
   * A removed warm head is no longer listed and `openWarm` of it starts empty, while clones already made
   * from it (and heads committed from those) keep working.
   */
  remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void>;
  /** Everything this backend holds, including half-made volumes and uploads from before a crash. */
  list(): Promise<StorageRef[]>;
}
