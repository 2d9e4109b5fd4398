import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkStorageId,
  checkStorageName,
  HeliosError,
  isHeliosError,
  type BlobInfo,
  type BlobKind,
  type Logger,
  type Storage,
  type StorageRef,
  type Volume,
  type VolumeKind,
  type WriteBlobOptions,
} from '@helios-ci/sdk';
import { QuotaLedger } from './quotaLedger.js';
import { copyTree, fsyncDir, removeTree } from './treeOps.js';

export interface DirStorageOptions {
  /** Instance name, for logs. */
  id: string;
  /** The directory everything lives under (created with mode 700). */
  root: string;
  /** Bytes of caches and artifacts one repository may hold; unlimited when absent. */
  quotaPerRepositoryBytes?: number;
  logger?: Logger;
}

/*
 * Layout under the root, every id being the path below it:
 *   images/<name>/             golden images, put there by the operator
 *   jobs/<job>-image           a job's image clone       (id jobs/<job>-image)
 *   jobs/<job>-warm            a job's warm-path volume  (id jobs/<job>-warm)
 *   warm/<hex>                 warm heads                (id warm/<hex>)
 *   blobs/<kind>/<group>.<hex> committed caches/artifacts; <group> is a hash of the repository
 *   uploads/<job>.<hex>        uploads in flight, renamed into blobs/ once durable
 *   trash/<hex>                trees being deleted: renamed here first so that a crash midway never
 *                              leaves half a head (or volume) under its id; emptied at start
 */
const DIRS = ['images', 'jobs', 'warm', 'blobs', 'blobs/cache', 'blobs/artifact', 'uploads', 'trash'] as const;

const VOLUME_ENTRY = /^(.+)-(image|warm)$/;
const HEAD_ENTRY = /^[0-9a-f]{32}$/;
const BLOB_ENTRY = /^[0-9a-f]{16}\.[0-9a-f]{32}$/;
const UPLOAD_ENTRY = /^(.+)\.([0-9a-f]{32})$/;
const BLOB_KINDS: readonly BlobKind[] = ['cache', 'artifact'];
const SUFFIX: Record<VolumeKind, string> = { 'image-clone': 'image', warm: 'warm' };
const KIND_OF_SUFFIX: Record<string, VolumeKind> = { image: 'image-clone', warm: 'warm' };
const READ_CHUNK = 256 * 1024;
const GROUP_MAX = 300;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const groupKeyOf = (group: string) => createHash('sha256').update(group).digest('hex').slice(0, 16);

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Runs one operation, turning a disk error (ENOSPC, EACCES, EIO...) into E_STORAGE_FAILED that says
 * what was being done; HeliosErrors and errors `passThrough` accepts are thrown as they are.
 */
async function diskErrors<T>(what: string, op: () => Promise<T>, passThrough: (err: unknown) => boolean = () => false): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isHeliosError(err) || passThrough(err)) throw err;
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'ENOSPC' ? ' (the disk is full)' : e.code === 'EACCES' || e.code === 'EPERM' ? ' (check the owner and mode of the storage path)' : '';
    throw new HeliosError('E_STORAGE_FAILED', `storage-dir: ${what} failed: ${e.message ?? String(err)}${hint}`, { cause: err, facts: { code: e.code ?? null } });
  }
}

/** A job's volume entry name, when `name` is one (`<valid job id>-image|warm`). */
function parseVolumeEntry(name: string): { jobId: string; kind: VolumeKind } | null {
  const m = VOLUME_ENTRY.exec(name);
  if (!m) return null;
  try {
    return { jobId: checkStorageName('job id', m[1]), kind: KIND_OF_SUFFIX[m[2]!]! };
  } catch {
    return null;
  }
}

function parseUploadEntry(name: string): { jobId: string } | null {
  const m = UPLOAD_ENTRY.exec(name);
  if (!m) return null;
  try {
    return { jobId: checkStorageName('job id', m[1]) };
  } catch {
    return null;
  }
}

/** Storage in plain directories: copies instead of clones, files instead of datasets. */
export class DirStorage implements Storage {
  readonly id: string;
  private readonly root: string;
  private readonly logger: Logger | undefined;
  private readonly quota: QuotaLedger | undefined;
  private ready: Promise<void> | undefined;

  constructor(options: DirStorageOptions) {
    this.id = options.id;
    this.root = options.root;
    this.logger = options.logger;
    if (options.quotaPerRepositoryBytes !== undefined) {
      this.quota = new QuotaLedger(options.quotaPerRepositoryBytes, (key) => this.committedBytesOf(key));
    }
  }

  cloneImage(image: string, jobId: string): Promise<Volume> {
    return diskErrors(`cloning image ${image} for job ${jobId}`, () => this.cloneImageNow(image, jobId));
  }

  openWarm(head: string | null, jobId: string): Promise<Volume> {
    return diskErrors(`opening warm head ${head} for job ${jobId}`, () => this.openWarmNow(head, jobId));
  }

  commitWarm(volume: Volume): Promise<string> {
    return diskErrors(`committing ${volume.id}`, () => this.commitWarmNow(volume));
  }

  release(volume: Volume): Promise<void> {
    return diskErrors(`releasing ${volume.id}`, () => this.releaseNow(volume));
  }

  writeBlob(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo> {
    // The caller's stream failing is the caller's error (a client gone): it passes through as it is.
    let streamError: unknown;
    async function* watched(): AsyncGenerator<Uint8Array> {
      try {
        yield* data;
      } catch (err) {
        streamError = err;
        throw err;
      }
    }
    return diskErrors(`writing a ${kind} blob for job ${options.jobId}`, () => this.writeBlobNow(kind, watched(), options), (err) => err === streamError);
  }

  readBlob(id: string): Promise<AsyncIterable<Uint8Array> | null> {
    return diskErrors(`reading ${id}`, () => this.readBlobNow(id));
  }

  remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    return diskErrors(`removing ${ref.kind} ${ref.id}`, () => this.removeNow(ref));
  }

  list(): Promise<StorageRef[]> {
    return diskErrors('listing', () => this.listNow());
  }

  private async cloneImageNow(image: string, jobId: string): Promise<Volume> {
    checkStorageName('image name', image);
    checkStorageName('job id', jobId);
    await this.init();
    const src = join(this.root, 'images', image);
    const isDir = await stat(src).then((s) => s.isDirectory(), () => false);
    if (!isDir) {
      throw new HeliosError('E_STORAGE_IMAGE_NOT_FOUND', `storage-dir: no image "${image}": make it a directory at ${src}`, { facts: { image, path: src } });
    }
    const volume = await this.claimVolume('image-clone', jobId);
    try {
      await copyTree(src, volume.location);
    } catch (err) {
      await this.destroyTree(volume.id);
      throw err;
    }
    return volume;
  }

  private async openWarmNow(head: string | null, jobId: string): Promise<Volume> {
    if (head !== null) checkStorageId('warm head', head);
    checkStorageName('job id', jobId);
    await this.init();
    const volume = await this.claimVolume('warm', jobId);
    const headPath = head !== null && this.isHeadId(head) ? join(this.root, head) : null;
    if (headPath && (await stat(headPath).then((s) => s.isDirectory(), () => false))) {
      try {
        await copyTree(headPath, volume.location);
      } catch (err) {
        // The head may have been removed while it was being copied: then this job starts empty.
        await this.destroyTree(volume.id);
        if (await stat(headPath).then(() => true, () => false)) throw err;
        await mkdir(volume.location, { mode: 0o700 });
      }
    }
    return volume;
  }

  private async commitWarmNow(volume: Volume): Promise<string> {
    checkStorageId('volume id', volume.id);
    await this.init();
    const entry = volume.id.startsWith('jobs/') ? parseVolumeEntry(volume.id.slice('jobs/'.length)) : null;
    if (!entry || entry.kind !== 'warm') {
      throw new HeliosError('E_NOT_FOUND', `storage-dir: ${volume.id} is not a warm volume of this storage; commitWarm takes what openWarm returned`, { facts: { id: volume.id } });
    }
    const head = `warm/${hex(16)}`;
    try {
      await rename(join(this.root, volume.id), join(this.root, head));
    } catch (err) {
      if (isMissing(err)) {
        throw new HeliosError('E_NOT_FOUND', `storage-dir: warm volume ${volume.id} is gone (released, or committed already)`, { facts: { id: volume.id } });
      }
      throw err;
    }
    await fsyncDir(join(this.root, 'warm'));
    await fsyncDir(join(this.root, 'jobs'));
    this.logger?.debug('warm head committed', { volume: volume.id, head });
    return head;
  }

  private async releaseNow(volume: Volume): Promise<void> {
    checkStorageId('volume id', volume.id);
    await this.init();
    // By id only: the location a caller hands back is never trusted as a path to delete.
    if (this.volumeEntryOf(volume.id)) await this.destroyTree(volume.id);
  }

  private async writeBlobNow(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo> {
    if (!BLOB_KINDS.includes(kind)) throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-dir: blob kind ${JSON.stringify(kind)} is not cache or artifact`);
    checkStorageName('job id', options.jobId);
    const group = options.group;
    if (typeof group !== 'string' || group.length === 0 || group.length > GROUP_MAX || /[\u0000-\u001f\u007f]/.test(group)) {
      throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-dir: quota group ${JSON.stringify(String(group).slice(0, 60))} must be 1-${GROUP_MAX} characters without control characters (the repository, forge/owner/name)`);
    }
    await this.init();
    const groupKey = groupKeyOf(group);
    if (this.quota) await this.quota.load(groupKey);
    const token = hex(16);
    const uploadPath = join(this.root, 'uploads', `${options.jobId}.${token}`);
    const blobId = `blobs/${kind}/${groupKey}.${token}`;
    let reserved = 0;
    let size = 0;
    const fh = await open(uploadPath, 'wx', 0o600);
    let closed = false;
    try {
      for await (const chunk of data) {
        if (this.quota) {
          this.quota.reserve(groupKey, group, chunk.length);
          reserved += chunk.length;
        }
        let written = 0;
        while (written < chunk.length) written += (await fh.write(chunk, written, chunk.length - written)).bytesWritten;
        size += chunk.length;
      }
      await fh.sync();
      closed = true;
      await fh.close();
      await rename(uploadPath, join(this.root, blobId));
      await fsyncDir(join(this.root, 'blobs', kind));
      this.quota?.settle(groupKey, reserved, size);
      return { id: blobId, kind, size };
    } catch (err) {
      if (!closed) await fh.close().catch(() => {});
      await unlink(uploadPath).catch(() => {});
      this.quota?.settle(groupKey, reserved, 0);
      throw err;
    }
  }

  private async readBlobNow(id: string): Promise<AsyncIterable<Uint8Array> | null> {
    checkStorageId('blob id', id);
    await this.init();
    if (!this.blobEntryOf(id)) return null;
    let fh;
    try {
      fh = await open(join(this.root, id), 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    // An open descriptor keeps the bytes readable even if the blob is removed meanwhile.
    return readAllOf(fh);
  }

  private async removeNow(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    checkStorageId(`${ref.kind} id`, ref.id);
    await this.init();
    const { id, kind } = ref;
    switch (kind) {
      case 'image-clone':
      case 'warm': {
        if (this.volumeEntryOf(id)?.kind === kind) await this.destroyTree(id);
        return;
      }
      case 'warm-head': {
        if (this.isHeadId(id)) await this.destroyTree(id);
        return;
      }
      case 'cache':
      case 'artifact': {
        const blob = this.blobEntryOf(id);
        if (blob?.kind === kind) await this.removeBlob(id, blob.groupKey);
        return;
      }
      case 'upload': {
        const name = id.startsWith('uploads/') ? id.slice('uploads/'.length) : '';
        if (parseUploadEntry(name)) await unlink(join(this.root, id)).catch((err) => (isMissing(err) ? undefined : Promise.reject(err)));
        return;
      }
      default:
        throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-dir: cannot remove a ${JSON.stringify(kind)}: not a kind list() reports`);
    }
  }

  private async listNow(): Promise<StorageRef[]> {
    await this.init();
    const refs: StorageRef[] = [];
    for (const name of await this.entries('jobs')) {
      const v = parseVolumeEntry(name);
      if (v) refs.push({ id: `jobs/${name}`, kind: v.kind, jobId: v.jobId });
    }
    for (const name of await this.entries('warm')) if (HEAD_ENTRY.test(name)) refs.push({ id: `warm/${name}`, kind: 'warm-head', jobId: null });
    for (const kind of BLOB_KINDS) {
      for (const name of await this.entries(`blobs/${kind}`)) if (BLOB_ENTRY.test(name)) refs.push({ id: `blobs/${kind}/${name}`, kind, jobId: null });
    }
    for (const name of await this.entries('uploads')) {
      const u = parseUploadEntry(name);
      if (u) refs.push({ id: `uploads/${name}`, kind: 'upload', jobId: u.jobId });
    }
    return refs;
  }

  /** Creates the layout (mode 700) and empties the trash a crash may have left; once per instance. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      await chmod(this.root, 0o700);
      for (const dir of DIRS) {
        const path = join(this.root, dir);
        await mkdir(path, { recursive: true, mode: 0o700 });
        await chmod(path, 0o700);
      }
      // Best effort: another instance over the same root may be deleting the same trees right now.
      for (const name of await this.entries('trash')) {
        await removeTree(join(this.root, 'trash', name)).catch((err) => this.logger?.warn('could not empty the trash', { entry: name, error: String(err) }));
      }
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** Makes the job's volume directory; a job has at most one of each kind. */
  private async claimVolume(kind: VolumeKind, jobId: string): Promise<Volume> {
    const id = `jobs/${jobId}-${SUFFIX[kind]}`;
    const location = join(this.root, id);
    try {
      await mkdir(location, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new HeliosError('E_CONFLICT', `storage-dir: job ${jobId} already has a ${kind} volume (${id}); release it first`, { facts: { id, jobId } });
      }
      throw err;
    }
    return { id, kind, location, jobId };
  }

  /** Deletes a tree by id: renamed into trash first (atomic), so its id never shows half a tree. */
  private async destroyTree(id: string): Promise<void> {
    const trash = join(this.root, 'trash', hex(16));
    try {
      await rename(join(this.root, id), trash);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await removeTree(trash);
  }

  private async removeBlob(id: string, groupKey: string): Promise<void> {
    if (this.quota) await this.quota.load(groupKey);
    const path = join(this.root, id);
    let size: number;
    try {
      size = (await stat(path)).size;
      await unlink(path);
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    this.quota?.released(groupKey, size);
  }

  private volumeEntryOf(id: string): { jobId: string; kind: VolumeKind } | null {
    return id.startsWith('jobs/') ? parseVolumeEntry(id.slice('jobs/'.length)) : null;
  }

  private isHeadId(id: string): boolean {
    return id.startsWith('warm/') && HEAD_ENTRY.test(id.slice('warm/'.length));
  }

  private blobEntryOf(id: string): { kind: BlobKind; groupKey: string } | null {
    const parts = id.split('/');
    if (parts.length !== 3 || parts[0] !== 'blobs' || !BLOB_KINDS.includes(parts[1] as BlobKind) || !BLOB_ENTRY.test(parts[2]!)) return null;
    return { kind: parts[1] as BlobKind, groupKey: parts[2]!.slice(0, 16) };
  }

  private async entries(dir: string): Promise<string[]> {
    try {
      return await readdir(join(this.root, dir));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  private async committedBytesOf(groupKey: string): Promise<number> {
    let total = 0;
    for (const kind of BLOB_KINDS) {
      for (const name of await this.entries(`blobs/${kind}`)) {
        if (!name.startsWith(`${groupKey}.`)) continue;
        total += await stat(join(this.root, 'blobs', kind, name)).then((s) => s.size, () => 0);
      }
    }
    return total;
  }
}

async function* readAllOf(fh: import('node:fs/promises').FileHandle): AsyncGenerator<Uint8Array> {
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close().catch(() => {});
  }
}
