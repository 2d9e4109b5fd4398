/**
 * Storage on ZFS: image clones and warm-path volumes are `zfs clone`s (constant time whatever the
 * size), warm heads are renamed + snapshotted job volumes, caches and artifacts are one compressed
 * dataset per blob, written under `uploads/` and renamed into place (atomic) when every byte is
 * synced. The dataset layout and the name rules are in layout.ts.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import {
  HeliosError,
  type BlobInfo,
  type BlobKind,
  type Logger,
  type PrunedPrepared,
  type Storage,
  type StorageRef,
  type Volume,
  type WriteBlobOptions,
} from '@helios-ci/sdk';
import {
  PARENT,
  PROP_GROUP,
  PROP_PREPARED,
  SNAPSHOT_PREPARED,
  PROP_JOB,
  PROP_KIND,
  PROP_REMOVED,
  PROP_SIZE,
  SNAPSHOT_COMMITTED,
  blobArea,
  checkComponent,
  groupSlug,
  newId,
  parseId,
  refKind,
  type Area,
} from './layout.js';
import { ZfsCli, ZfsCommandError, type ZfsFailure } from './zfsCli.js';
import { writeBlobFile } from './blobFile.js';
import { Datasets } from './datasets.js';
import { PreparedPruner } from './preparedPruner.js';
import { preparedExpirySettings } from './preparedExpiry.js';

export interface ZfsStorageOptions {
  /** Instance name, for logs and errors. */
  id: string;
  /** The dataset everything lives under (`rpool/ci`); created on first use if its pool exists. */
  parent: string;
  zfsCommand?: string;
  zpoolCommand?: string;
  /** `compression` of cache and artifact datasets (`on` is lz4 where the pool supports it). */
  compression?: string;
  /** Quota of each repository's caches dataset and of its artifacts dataset; none when unset. */
  quotaPerRepositoryBytes?: number;
  /** Extra attempts when zfs says "dataset is busy". */
  busyRetries?: number;
  /** Per image: the snapshot to clone (default: the newest). */
  images?: Record<string, { snapshot?: string }>;
  /** Days a prepared image may go without a clone made from it before prunePrepared removes it (default 14; 0: never by age). */
  preparedMaxAgeDays?: number;
  /** At most this many prepared images per image, the most recently used (default: no limit). */
  preparedKeepPerImage?: number;
  /** The time a use of a prepared image is recorded at (default Date.now). */
  now?: () => number;
  logger?: Logger;
  /** For the zvol device path (`/dev/zvol/dsk/...` on illumos); defaults to this process's. */
  platform?: NodeJS.Platform;
}

export class ZfsStorage implements Storage {
  readonly id: string;
  private readonly cli: ZfsCli;
  private readonly parent: string;
  private readonly compression: string;
  private readonly quota: number | undefined;
  private readonly zfsCommand: string;
  private readonly z: Datasets;
  /** Open readBlob streams per dataset: such a dataset cannot be destroyed until they close. */
  private readonly readers = new Map<string, number>();
  private readonly prepared: PreparedPruner;
  private readonly now: () => number;

  constructor(private readonly options: ZfsStorageOptions) {
    this.id = options.id;
    if (!PARENT.test(options.parent) || options.parent.includes('..')) {
      throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: parent ${JSON.stringify(options.parent)} is not a dataset name (pool/dataset, letters, digits, "_ . : -")`);
    }
    this.parent = options.parent;
    this.compression = options.compression ?? 'on';
    this.quota = options.quotaPerRepositoryBytes;
    this.zfsCommand = options.zfsCommand ?? 'zfs';
    this.cli = new ZfsCli({ zfsCommand: this.zfsCommand, zpoolCommand: options.zpoolCommand ?? 'zpool', busyRetries: options.busyRetries ?? 8 });
    this.z = new Datasets(this.cli, this.parent, this.zfsCommand, options.platform ?? process.platform);
    this.prepared = new PreparedPruner(this.z, preparedExpirySettings(options.preparedMaxAgeDays, options.preparedKeepPerImage), options.logger);
    this.now = options.now ?? Date.now;
    for (const [image, conf] of Object.entries(options.images ?? {})) {
      checkComponent('image', image);
      if (conf.snapshot !== undefined) checkComponent(`snapshot of image ${image}`, conf.snapshot);
    }
  }

  /**
   * Checks the pool and the parent dataset at start, so a wrong config fails `helios serve` with a
   * clear message rather than the first job: creates the parent when only it is missing.
   */
  async check(): Promise<void> {
    const pool = this.parent.split('/')[0]!;
    try {
      await this.cli.zpool(['list', '-H', '-o', 'name', pool]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') {
        throw new HeliosError('E_STORAGE_CONFIG', `storage-zfs: pool "${pool}" (of parent ${this.parent}) is not imported; import it (zpool import ${pool}) or fix "parent" in this plugin's config`, { cause: err });
      }
      throw this.z.fail(err, `checking pool ${pool}`);
    }
    const props = await this.z.props(this.parent);
    if (!props) await this.z.run(['create', '-p', this.parent], `creating parent dataset ${this.parent}`, this.parent);
    await this.z.mountpointOf(this.parent);
    // Finish removals a crash (or a reader) interrupted.
    await this.sweep();
  }

  // ---------------------------------------------------------------- volumes

  async cloneImage(image: string, jobId: string, prepared?: string): Promise<Volume> {
    checkComponent('image', image);
    checkComponent('job id', jobId);
    const snapshot = prepared === undefined ? await this.imageSnapshot(image) : await this.preparedSnapshot(image, prepared);
    // Age for expiry counts from the last use, not the creation.
    if (prepared !== undefined) await this.prepared.touch(image, prepared, this.now());
    await this.z.ensureArea('jobs');
    const id = `jobs/${jobId}-image`;
    const target = this.z.ds(id);
    // A retried provision starts from a clean clone, never from what a half-run machine left.
    await this.z.destroy(target, { recursive: true }, `clearing an earlier clone for job ${jobId}`);
    await this.z.run(['clone', '-o', `${PROP_JOB}=${jobId}`, '-o', `${PROP_KIND}=image-clone`, snapshot, target], `cloning image ${image} for job ${jobId}`, target);
    try {
      return { id, kind: 'image-clone', location: await this.z.locationOf(target), jobId };
    } catch (err) {
      await this.z.destroy(target, { recursive: true }, `removing the clone for job ${jobId} after a failure`).catch(() => {});
      throw err;
    }
  }

  async openWarm(head: string | null, jobId: string): Promise<Volume> {
    checkComponent('job id', jobId);
    const parsedHead = head === null ? null : parseId(head);
    const headId = parsedHead?.area === 'warm' ? parsedHead.head : null;
    await this.z.ensureArea('jobs');
    const id = `jobs/${jobId}-warm`;
    const target = this.z.ds(id);
    await this.z.destroy(target, { recursive: true }, `clearing an earlier warm volume for job ${jobId}`);
    const snapshot = headId === null ? null : await this.headSnapshot(headId);
    const props = ['-o', `${PROP_JOB}=${jobId}`, '-o', `${PROP_KIND}=warm`];
    let cloned = false;
    if (snapshot) {
      try {
        await this.cli.zfs(['clone', ...props, snapshot, target]);
        cloned = true;
      } catch (err) {
        // The head was removed between the lookup and the clone: the job starts empty, as the contract says.
        if (!(err instanceof ZfsCommandError && err.failure === 'not-found')) throw this.z.fail(err, `cloning warm head ${head} for job ${jobId}`, target);
      }
    }
    if (!cloned) await this.z.run(['create', ...props, target], `creating a warm volume for job ${jobId}`, target);
    try {
      return { id, kind: 'warm', location: await this.z.mountpointOf(target), jobId };
    } catch (err) {
      await this.z.destroy(target, { recursive: true }, `removing the warm volume for job ${jobId} after a failure`).catch(() => {});
      throw err;
    }
  }

  async commitWarm(volume: Volume): Promise<string> {
    const parsed = parseId(volume?.id);
    if (parsed?.area !== 'jobs' || parsed.kind !== 'warm' || volume.kind !== 'warm') {
      throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: commitWarm takes a warm volume from openWarm; got ${JSON.stringify(volume?.id)} (${volume?.kind})`);
    }
    const source = this.z.ds(volume.id);
    const props = await this.z.props(source);
    if (!props) throw new HeliosError('E_NOT_FOUND', `storage-zfs: warm volume ${volume.id} does not exist (already committed or released); open a new one with openWarm`, { facts: { id: volume.id } });
    await this.z.ensureArea('warm');
    const head = newId();
    const doing = `committing warm volume ${volume.id} as head warm/${head}`;
    // Quiesce first: nothing may write between the snapshot and the head becoming visible.
    await this.z.unmount(source, doing);
    await this.z.run(['snapshot', `${source}@${head}`], doing, source);
    await this.z.run(['set', 'readonly=on', source], doing, source);
    // Heads are only ever cloned; keeping them unmounted saves a mount per head.
    await this.z.run(['set', 'canmount=noauto', source], doing, source);
    const target = this.z.ds(`warm/${head}`);
    // The commit point: the head exists from here on.
    await this.z.runRetryingBusy(['rename', source, target], doing, source);
    // Make the new head the origin of its ancestors, so older heads can be destroyed while this one lives.
    if (props.origin.startsWith(`${this.z.ds('warm')}/`)) {
      await this.z.runRetryingBusy(['promote', target], doing, target);
      // A removed head it came from may now be an empty clone of it: destroy that.
      await this.sweep(this.z.ds('warm'));
    }
    return `warm/${head}`;
  }

  // ---------------------------------------------------------------- prepared images

  /**
   * Snapshots a job's image clone while its machine runs (`@prepared`) and marks it to become the
   * prepared image `<image>/<name>` when released. A crash before the release loses it (the
   * reconciler destroys the clone): the next job prepares again.
   */
  async keepPrepared(volume: Volume, name: string): Promise<void> {
    const parsed = parseId(volume?.id);
    if (parsed?.area !== 'jobs' || parsed.kind !== 'image-clone' || volume.kind !== 'image-clone') {
      throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: keepPrepared takes an image clone from cloneImage; got ${JSON.stringify(volume?.id)} (${volume?.kind})`);
    }
    checkComponent('prepared name', name);
    const source = this.z.ds(volume.id);
    const props = await this.z.props(source);
    if (!props) throw new HeliosError('E_NOT_FOUND', `storage-zfs: image clone ${volume.id} does not exist (released already?)`, { facts: { id: volume.id } });
    const imagePrefix = `${this.z.ds('images')}/`;
    if (!props.origin.startsWith(imagePrefix)) {
      throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: ${volume.id} is not a clone of a golden image (origin ${props.origin}); only a machine started from an image is kept as a prepared image`);
    }
    const image = checkComponent('image', props.origin.slice(imagePrefix.length).split('@')[0]);
    if (await this.hasPrepared(image, name)) return;
    const doing = `keeping ${volume.id} as prepared image ${image}/${name}`;
    await this.z.run(['snapshot', `${source}@${SNAPSHOT_PREPARED}`], doing, source);
    await this.z.run(['set', `${PROP_PREPARED}=${image}/${name}`, source], doing, source);
  }

  async hasPrepared(image: string, name: string): Promise<boolean> {
    checkComponent('image', image);
    checkComponent('prepared name', name);
    return (await this.z.props(`${this.z.ds(`prepared/${image}/${name}`)}@${SNAPSHOT_PREPARED}`)) !== null;
  }

  private async preparedSnapshot(image: string, name: string): Promise<string> {
    checkComponent('prepared name', name);
    if (!(await this.hasPrepared(image, name))) {
      throw new HeliosError('E_STORAGE_IMAGE_NOT_FOUND', `storage-zfs: prepared image ${image}/${name} does not exist (removed since it was looked up?); start from the image`, { facts: { image } });
    }
    return `${this.z.ds(`prepared/${image}/${name}`)}@${SNAPSHOT_PREPARED}`;
  }

  /** A released clone marked by keepPrepared becomes its prepared image; false when it is not marked or one exists already. */
  private async becomePrepared(id: string): Promise<boolean> {
    const dataset = this.z.ds(id);
    const props = await this.z.props(dataset, [PROP_PREPARED]);
    const target = props?.[PROP_PREPARED];
    if (!target || target === '-' || !/^[^/]+\/[^/]+$/.test(target)) return false;
    const [image, name] = target.split('/') as [string, string];
    checkComponent('image', image);
    checkComponent('prepared name', name);
    if (await this.hasPrepared(image, name)) return false;
    const doing = `keeping ${id} as prepared image ${target}`;
    await this.z.ensureArea('prepared');
    try {
      await this.cli.zfs(['create', this.z.ds(`prepared/${image}`)]);
    } catch (err) {
      if (!(err instanceof ZfsCommandError && err.failure === 'exists')) throw this.z.fail(err, doing, dataset);
    }
    // Prepared images are only cloned: unmounted (zfs-fuse refuses to rename a mounted dataset) and
    // kept so. A zvol has nothing to unmount; the simulator's zvols are filesystems that report
    // `volume`, so both are tried and only a real filesystem's failure counts.
    try {
      await this.z.run(['set', 'canmount=noauto', dataset], doing, dataset);
      await this.z.unmount(dataset, doing);
    } catch (err) {
      if (props.type === 'filesystem') throw err;
    }
    await this.z.runRetryingBusy(['rename', dataset, this.z.ds(`prepared/${target}`)], doing, dataset);
    await this.prepared.touch(image, name, this.now());
    return true;
  }

  /** Removes the prepared images unused for preparedMaxAgeDays (or beyond preparedKeepPerImage); those a job's clone uses stay. */
  async prunePrepared(now: number): Promise<PrunedPrepared> {
    return this.prepared.prune(now);
  }

  async release(volume: Volume): Promise<void> {
    const parsed = parseId(volume?.id);
    // A well-formed id that is not one of our volumes is unknown: nothing to release.
    if (parsed?.area !== 'jobs') return;
    await this.releaseJobDataset(volume.id);
  }

  // ---------------------------------------------------------------- blobs

  async writeBlob(kind: BlobKind, data: AsyncIterable<Uint8Array>, options: WriteBlobOptions): Promise<BlobInfo> {
    if (kind !== 'cache' && kind !== 'artifact') throw new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: blob kind ${JSON.stringify(kind)} is not cache or artifact`);
    const jobId = checkComponent('job id', options?.jobId);
    const slug = groupSlug(options?.group);
    const area = blobArea(kind);
    await this.z.ensureArea('uploads');
    await this.z.ensureArea(area);
    const groupDs = await this.ensureGroup(area, slug, options.group);
    const room = await this.roomIn(groupDs);
    if (room !== null && room <= 0) {
      throw new HeliosError('E_STORAGE_QUOTA', `storage-zfs: repository ${options.group} has used its ${area} quota (${this.quota} bytes); prune its ${area} or raise quotaPerRepositoryBytes`, { facts: { group: options.group } });
    }
    const uploadId = `uploads/${jobId}-${newId()}`;
    const upload = this.z.ds(uploadId);
    const doing = `writing a ${kind} for job ${jobId} (${options.group})`;
    await this.z.run(
      ['create', '-o', `${PROP_JOB}=${jobId}`, '-o', `${PROP_KIND}=${kind}`, '-o', `${PROP_GROUP}=${options.group}`, '-o', `compression=${this.compression}`, ...(room !== null ? ['-o', `quota=${room}`] : []), upload],
      doing,
      upload,
    );
    const id = `${area}/${slug}/${newId()}`;
    try {
      const size = await writeBlobFile(join(await this.z.mountpointOf(upload), 'data'), data, { group: options.group, bytes: this.quota });
      await this.z.run(['set', `${PROP_SIZE}=${size}`, upload], doing, upload);
      if (room !== null) await this.z.run(['set', 'quota=none', upload], doing, upload);
      await this.z.run(['set', 'readonly=on', upload], doing, upload);
      // zfs-fuse refuses to rename a just-written mounted dataset ("busy") for as long as it stays
      // mounted; unmounted it renames at once. readBlob mounts it again on demand.
      await this.z.unmount(upload, doing);
      await this.z.run(['snapshot', `${upload}@${SNAPSHOT_COMMITTED}`], doing, upload);
      // The commit point: the id exists only after this rename, with every byte synced before it.
      try {
        await this.cli.zfsRetryingBusy(['rename', upload, this.z.ds(id)]);
      } catch (err) {
        if (err instanceof ZfsCommandError && err.failure === 'no-space' && this.quota !== undefined) {
          throw new HeliosError('E_STORAGE_QUOTA', `storage-zfs: the ${kind} would take repository ${options.group} over its quota (${this.quota} bytes); prune its ${area} or raise quotaPerRepositoryBytes`, { cause: err });
        }
        throw this.z.fail(err, doing, upload);
      }
      return { id, kind, size };
    } catch (err) {
      await this.z.destroy(upload, { recursive: true }, `removing the unfinished upload ${uploadId}`).catch((cleanup) => {
        this.options.logger?.warn('storage-zfs: could not remove an unfinished upload; list() reports it for the reconciler', { upload: uploadId, error: String(cleanup) });
      });
      throw err;
    }
  }

  async readBlob(id: string): Promise<AsyncIterable<Uint8Array> | null> {
    const parsed = parseId(id);
    if (parsed?.area !== 'caches' && parsed?.area !== 'artifacts') return null;
    const dataset = this.z.ds(id);
    const props = await this.z.props(dataset, [PROP_REMOVED]);
    if (!props || props[PROP_REMOVED] === 'yes') return null;
    const file = join(await this.z.mountpointOf(dataset, props), 'data');
    const stream = createReadStream(file);
    // While it is open the dataset cannot be destroyed; a remove() meanwhile only marks it, and the
    // last reader to close finishes the removal.
    this.readers.set(dataset, (this.readers.get(dataset) ?? 0) + 1);
    stream.once('close', () => {
      const left = (this.readers.get(dataset) ?? 1) - 1;
      if (left > 0) return void this.readers.set(dataset, left);
      this.readers.delete(dataset);
      void this.finishRemoved(dataset).catch(() => {});
    });
    // Open now so a missing file is this call's error, not the consumer's first read.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    }).catch((err) => {
      throw new HeliosError('E_STORAGE_FAILED', `storage-zfs: blob ${id} has no data file (${(err as Error).message}); remove it and write it again`, { cause: err });
    });
    return stream;
  }

  // ---------------------------------------------------------------- reconciling

  async remove(ref: Pick<StorageRef, 'id' | 'kind'>): Promise<void> {
    const parsed = parseId(ref?.id);
    // Unknown ids, and ids of another kind than the caller says, are not ours to remove.
    if (!parsed || refKind(parsed) !== ref.kind) return;
    switch (parsed.area) {
      case 'jobs':
        return this.releaseJobDataset(ref.id);
      case 'warm':
        return this.removeHead(parsed.head);
      default:
        return this.removeHeld(this.z.ds(ref.id), `removing ${ref.kind} ${ref.id}`);
    }
  }

  async list(): Promise<StorageRef[]> {
    let out: string;
    try {
      out = await this.cli.zfs(['list', '-H', '-t', 'filesystem,volume', '-o', `name,${PROP_JOB},${PROP_REMOVED}`, '-r', this.parent]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return [];
      throw this.z.fail(err, 'listing datasets', this.parent);
    }
    const refs: StorageRef[] = [];
    for (const line of out.split('\n')) {
      if (!line) continue;
      const [name, job, removed] = line.split('\t');
      if (!name?.startsWith(`${this.parent}/`) || removed === 'yes') continue;
      const rel = name.slice(this.parent.length + 1);
      let parsed;
      try {
        parsed = parseId(rel);
      } catch {
        parsed = null;
      }
      if (!parsed) continue; // areas, repository groups, images: not things a job made
      const owner = job && job !== '-' ? job : null;
      switch (parsed.area) {
        case 'jobs':
          refs.push({ id: rel, kind: parsed.kind, jobId: owner ?? parsed.job });
          break;
        case 'uploads':
          refs.push({ id: rel, kind: 'upload', jobId: owner });
          break;
        case 'warm':
          refs.push({ id: rel, kind: 'warm-head', jobId: null });
          break;
        default:
          refs.push({ id: rel, kind: parsed.kind, jobId: null });
      }
    }
    return refs;
  }

  // ---------------------------------------------------------------- warm heads

  /** `dataset@snap` to clone for head `id`, or null when the head is gone or being removed. */
  private async headSnapshot(head: string): Promise<string | null> {
    const dataset = this.z.ds(`warm/${head}`);
    const props = await this.z.props(dataset, [PROP_REMOVED]);
    if (!props || props[PROP_REMOVED] === 'yes') return null;
    // After promotions the head's snapshot may belong to a newer head; its name is unique.
    return (await this.warmSnapshots()).find((s) => s.endsWith(`@${head}`)) ?? null;
  }

  private async warmSnapshots(): Promise<string[]> {
    try {
      const out = await this.cli.zfs(['list', '-H', '-t', 'snapshot', '-o', 'name', '-r', this.z.ds('warm')]);
      return out.split('\n').filter(Boolean);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return [];
      throw this.z.fail(err, 'listing warm-head snapshots');
    }
  }

  /**
   * Removes head `id`: marks it removed (openWarm and list no longer see it), promotes the live heads
   * cloned from it so they stop depending on it, then sweeps: its snapshots are destroyed (deferred
   * while job clones still use them) and the dataset once nothing holds it.
   */
  private async removeHead(head: string): Promise<void> {
    const dataset = this.z.ds(`warm/${head}`);
    const doing = `removing warm head warm/${head}`;
    try {
      await this.cli.zfs(['set', `${PROP_REMOVED}=yes`, dataset]);
    } catch (err) {
      if (!(err instanceof ZfsCommandError && err.failure === 'not-found')) throw this.z.fail(err, doing, dataset);
    }
    for (let guard = 0; guard < 100; guard++) {
      const dependent = (await this.warmHeads()).find((h) => !h.removed && h.origin.startsWith(`${dataset}@`));
      if (!dependent) break;
      await this.z.runRetryingBusy(['promote', dependent.name], doing, dependent.name);
    }
    await this.sweep(this.z.ds('warm'));
  }

  private async warmHeads(): Promise<{ name: string; origin: string; removed: boolean }[]> {
    let out: string;
    try {
      out = await this.cli.zfs(['list', '-H', '-t', 'filesystem,volume', '-o', `name,origin,${PROP_REMOVED}`, '-r', this.z.ds('warm')]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return [];
      throw this.z.fail(err, 'listing warm heads');
    }
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'))
      .filter(([name]) => name!.startsWith(`${this.z.ds('warm')}/`))
      .map(([name, origin, removed]) => ({ name: name!, origin: origin ?? '-', removed: removed === 'yes' }));
  }

  /**
   * Destroys every dataset marked removed that nothing holds any more; leaves the rest marked. Runs at
   * start and after each remove, release and commit, so a removal a crash or a reader interrupted
   * finishes by itself.
   */
  private async sweep(root = this.parent): Promise<void> {
    let out: string;
    try {
      out = await this.cli.zfs(['list', '-H', '-t', 'filesystem,volume', '-o', `name,${PROP_REMOVED}`, '-r', root]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return;
      throw this.z.fail(err, 'listing datasets to sweep', root);
    }
    const marked = out.split('\n').filter((l) => l.endsWith('\tyes')).map((l) => l.split('\t')[0]!);
    // Newest-made heads are promoted over older ones; go through them all, a few times if one frees another.
    for (const dataset of marked) await this.finishRemoved(dataset).catch(() => {});
  }

  /** One attempt at destroying a dataset marked removed; "held" (busy, clones) is fine: a later sweep retries. */
  private async finishRemoved(dataset: string): Promise<void> {
    const props = await this.z.props(dataset, [PROP_REMOVED]);
    if (!props || props[PROP_REMOVED] !== 'yes' || this.readers.has(dataset)) return;
    const held: ZfsFailure[] = ['not-found', 'busy', 'has-dependents'];
    if (dataset.startsWith(`${this.z.ds('warm')}/`)) {
      const head = dataset.slice(this.z.ds('warm').length + 1);
      // Its own snapshot (wherever promotions moved it) and any still on it: gone now, or when the
      // last clone made from them is destroyed.
      for (const snapshot of (await this.warmSnapshots()).filter((x) => x.endsWith(`@${head}`) || x.startsWith(`${dataset}@`))) {
        try {
          await this.cli.zfsRetryingBusy(['destroy', '-d', snapshot], 2);
        } catch (err) {
          if (!(err instanceof ZfsCommandError && held.includes(err.failure))) throw this.z.fail(err, `removing warm head snapshot ${snapshot}`, snapshot);
        }
      }
    }
    try {
      await this.cli.zfsRetryingBusy(['destroy', '-r', dataset], 2);
    } catch (err) {
      if (!(err instanceof ZfsCommandError && held.includes(err.failure))) throw this.z.fail(err, `destroying removed ${dataset}`, dataset);
    }
  }

  /**
   * Removes a blob or an upload: marked first (so it is gone for readBlob and list at once), then
   * destroyed — unless a reader or writer still has it open, when the last reader or a later sweep does.
   */
  private async removeHeld(dataset: string, doing: string): Promise<void> {
    try {
      await this.cli.zfs(['set', `${PROP_REMOVED}=yes`, dataset]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return;
      throw this.z.fail(err, doing, dataset);
    }
    if (this.readers.has(dataset)) return;
    try {
      await this.cli.zfsRetryingBusy(['destroy', '-r', dataset]);
    } catch (err) {
      if (!(err instanceof ZfsCommandError && (err.failure === 'not-found' || err.failure === 'busy'))) throw this.z.fail(err, doing, dataset);
      this.options.logger?.info('storage-zfs: a removed dataset is still in use; it is destroyed once released', { dataset });
    }
    // Others of its area that readers or writers held earlier.
    await this.sweep(dataset.split('/').slice(0, this.parent.split('/').length + 1).join('/'));
  }

  /** Destroys a job's volume; removed heads it was the last user of go too. */
  private async releaseJobDataset(id: string): Promise<void> {
    if (parseId(id)?.area === 'jobs' && (await this.becomePrepared(id))) return;
    const dataset = this.z.ds(id);
    if (!(await this.z.destroy(dataset, { recursive: true }, `releasing ${id}`))) return;
    await this.sweep(this.z.ds('warm'));
  }

  /** The repository's dataset under caches/ or artifacts/, carrying its quota. */
  private async ensureGroup(area: Area, slug: string, group: string): Promise<string> {
    const dataset = this.z.ds(`${area}/${slug}`);
    const props = await this.z.props(dataset, ['quota']);
    const quota = this.quota === undefined ? '0' : String(this.quota);
    if (!props) {
      try {
        await this.cli.zfs(['create', '-o', `${PROP_GROUP}=${group}`, '-o', `compression=${this.compression}`, ...(this.quota !== undefined ? ['-o', `quota=${this.quota}`] : []), dataset]);
      } catch (err) {
        // Two writers of one repository at once: the other one created it.
        if (!(err instanceof ZfsCommandError && err.failure === 'exists')) throw this.z.fail(err, `creating the ${area} dataset of ${group}`, dataset);
      }
    } else if (props.quota !== quota) {
      await this.z.run(['set', `quota=${this.quota ?? 'none'}`, dataset], `setting the quota of ${group}`, dataset);
    }
    return dataset;
  }

  /** Bytes the repository may still write (null: no quota). */
  private async roomIn(groupDs: string): Promise<number | null> {
    if (this.quota === undefined) return null;
    const props = await this.z.props(groupDs, ['used']);
    return this.quota - Number(props?.used ?? 0);
  }

  private async imageSnapshot(image: string): Promise<string> {
    const dataset = this.z.ds(`images/${image}`);
    const configured = this.options.images?.[image]?.snapshot;
    let out: string;
    try {
      out = await this.cli.zfs(['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation', '-d', '1', dataset]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') {
        throw new HeliosError('E_STORAGE_IMAGE_NOT_FOUND', `storage-zfs: image ${image} does not exist (no dataset ${dataset}); create it there and snapshot it (zfs snapshot ${dataset}@golden)`, { facts: { image } });
      }
      throw this.z.fail(err, `finding the snapshot of image ${image}`, dataset);
    }
    const snapshots = out.split('\n').filter((s) => s.startsWith(`${dataset}@`));
    const chosen = configured === undefined ? snapshots.at(-1) : snapshots.find((s) => s === `${dataset}@${configured}`);
    if (!chosen) {
      throw new HeliosError(
        'E_STORAGE_IMAGE_NOT_FOUND',
        configured === undefined
          ? `storage-zfs: image ${image} has no snapshot to clone; snapshot it (zfs snapshot ${dataset}@golden)`
          : `storage-zfs: image ${image} has no snapshot "${configured}" (configured under images.${image}.snapshot); it has ${snapshots.map((s) => s.split('@')[1]).join(', ') || 'none'}`,
        { facts: { image } },
      );
    }
    return chosen;
  }
}
