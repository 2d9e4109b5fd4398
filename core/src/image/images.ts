import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, copyFileSync, chmodSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';
import { checkGuestTree, type GuestFacts } from './guestChecks.js';
import { sendReceive, zfs, zfsMust } from './zfsRunner.js';

export const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const DATASET = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}){0,10}$/;

export interface ImageHost {
  /** The zfs executable (storage-zfs zfsCommand). */
  zfs: string;
  /** The storage-zfs parent: images live at <parent>/images/<label>. */
  parent: string;
}

export interface BuildOptions {
  from: string;
  label: string;
  /** The agent bundle file installed as `agentPath` in a directory-tree image. */
  agentBundle: string;
  agentPath?: string;
  nodePath?: string;
  now?: Date;
}

export interface BuiltImage {
  dataset: string;
  snapshot: string;
  guest: GuestFacts | null;
}

export interface ImageSnapshot {
  name: string;
  version: string;
  /** Datasets cloned from it (jobs using it). */
  clones: string[];
  current: boolean;
}

export interface ImageInfo {
  label: string;
  dataset: string;
  snapshots: ImageSnapshot[];
}

function checkLabel(label: string): void {
  if (!LABEL.test(label)) throw new HeliosError('E_USAGE', `image label ${JSON.stringify(label)} must be letters, digits, "_", "." and "-" (at most 100), starting with a letter or digit`);
}

function versionOf(now: Date): string {
  return 'v' + now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

async function exists(host: ImageHost, dataset: string): Promise<boolean> {
  return (await zfs(host.zfs, ['list', '-H', '-o', 'name', dataset])).code === 0;
}

/** Replaces everything in `dir` (a dataset's mountpoint) by the tree at `from`. */
function syncTree(from: string, dir: string): void {
  for (const entry of readdirSync(dir)) if (entry !== '.zfs') rmSync(join(dir, entry), { recursive: true, force: true });
  cpSync(from, dir, { recursive: true, force: true, verbatimSymlinks: true, preserveTimestamps: true });
}

/**
 * Builds (or rebuilds) the golden image `label` and snapshots it with a new version; the label then
 * means that snapshot (the newest). From a directory tree: the tree is copied into the image
 * dataset, the agent bundle installed into it, and the guest checked (cloud-init, node ≥ 20). From a
 * dataset (e.g. a zvol holding a cloud image): its snapshot is received as the image, first build only.
 */
export async function buildImage(host: ImageHost, o: BuildOptions): Promise<BuiltImage> {
  checkLabel(o.label);
  const dataset = `${host.parent}/images/${o.label}`;
  let version = versionOf(o.now ?? new Date());
  const taken = (await zfs(host.zfs, ['list', '-H', '-o', 'name', '-t', 'snapshot', '-r', dataset])).stdout.split('\n');
  for (let i = 2; taken.includes(`${dataset}@${version}`); i++) version = `${versionOf(o.now ?? new Date())}-${i}`;
  const snapshot = `${dataset}@${version}`;

  if (existsSync(o.from) && statSync(o.from).isDirectory()) {
    if (!(await exists(host, dataset))) await zfsMust(host.zfs, ['create', '-p', dataset], `creating image dataset ${dataset}`);
    const mountpoint = (await zfsMust(host.zfs, ['get', '-H', '-o', 'value', 'mountpoint', dataset], `finding the mountpoint of ${dataset}`)).trim();
    if (!isAbsolute(mountpoint) || !existsSync(mountpoint)) {
      throw new HeliosError('E_IMAGE_INVALID', `${dataset} is not mounted (mountpoint ${mountpoint}); a directory-tree image needs a mounted file system dataset (zfs mount ${dataset})`);
    }
    syncTree(o.from, mountpoint);
    const agentPath = o.agentPath ?? '/opt/helios/helios-agent.mjs';
    const target = join(mountpoint, agentPath);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(o.agentBundle, target);
    chmodSync(target, 0o644);
    const guest = checkGuestTree(mountpoint, o.nodePath ?? '/usr/bin/node');
    await zfsMust(host.zfs, ['snapshot', snapshot], `snapshotting ${dataset}`);
    return { dataset, snapshot, guest };
  }
  if (!DATASET.test(o.from)) throw new HeliosError('E_USAGE', `--from ${o.from} is neither a directory nor a dataset name`);
  if (!(await exists(host, o.from))) throw new HeliosError('E_IMAGE_INVALID', `--from ${o.from}: no such directory or dataset`);
  if (await exists(host, dataset)) {
    throw new HeliosError('E_IMAGE_EXISTS', `${dataset} exists; an image built from a dataset is built once: build it under a new label, or from a directory tree`);
  }
  const source = `${o.from}@helios-${version}`;
  await zfsMust(host.zfs, ['snapshot', source], `snapshotting ${o.from}`);
  await zfsMust(host.zfs, ['create', '-p', `${host.parent}/images`], 'creating the images dataset');
  await sendReceive(host.zfs, source, dataset);
  await zfsMust(host.zfs, ['snapshot', snapshot], `snapshotting ${dataset}`);
  return { dataset, snapshot, guest: null };
}

/** Which datasets are clones of which snapshot, across the pool. */
async function clonesBySnapshot(host: ImageHost): Promise<Map<string, string[]>> {
  const pool = host.parent.split('/')[0]!;
  const out = await zfsMust(host.zfs, ['list', '-H', '-o', 'name,origin', '-r', pool], 'listing clones');
  const map = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const [name, origin] = line.split('\t');
    if (!name || !origin || origin === '-') continue;
    map.set(origin, [...(map.get(origin) ?? []), name]);
  }
  return map;
}

export async function listImages(host: ImageHost): Promise<ImageInfo[]> {
  const root = `${host.parent}/images`;
  if (!(await exists(host, root))) return [];
  const clones = await clonesBySnapshot(host);
  // Ordered as storage-zfs orders them when it picks the snapshot a label means (the newest).
  const out = await zfsMust(host.zfs, ['list', '-H', '-o', 'name', '-t', 'snapshot', '-s', 'creation', '-r', root], 'listing image snapshots');
  const datasets = (await zfsMust(host.zfs, ['list', '-H', '-o', 'name', '-r', root], 'listing images')).split('\n').filter((d) => d.startsWith(`${root}/`) && !d.slice(root.length + 1).includes('/'));
  const images = new Map<string, ImageInfo>(datasets.map((d) => [d, { label: d.slice(root.length + 1), dataset: d, snapshots: [] }]));
  for (const line of out.split('\n')) {
    const name = line.trim();
    if (!name) continue;
    const [dataset, version] = name.split('@') as [string, string];
    images.get(dataset)?.snapshots.push({ name, version, clones: clones.get(name) ?? [], current: false });
  }
  for (const image of images.values()) {
    const newest = image.snapshots.at(-1);
    if (newest) newest.current = true;
  }
  return [...images.values()].sort((a, b) => a.label.localeCompare(b.label));
}

export interface PruneDecision {
  snapshot: string;
  action: 'kept' | 'removed' | 'would remove';
  reason: string;
}

/**
 * Removes old image snapshots: each label keeps its newest `keep`; an older one that still has
 * clones (jobs running on it) is kept until those jobs end and their clones are gone.
 */
export async function pruneImages(host: ImageHost, o: { keep?: number; label?: string; dryRun?: boolean } = {}): Promise<PruneDecision[]> {
  const keep = Math.max(1, o.keep ?? 1);
  const decisions: PruneDecision[] = [];
  for (const image of await listImages(host)) {
    if (o.label && image.label !== o.label) continue;
    const old = image.snapshots.slice(0, Math.max(0, image.snapshots.length - keep));
    for (const s of old) {
      if (s.clones.length) {
        decisions.push({ snapshot: s.name, action: 'kept', reason: `${s.clones.length} clone${s.clones.length === 1 ? '' : 's'} still use it (${s.clones.join(', ')})` });
        continue;
      }
      if (!o.dryRun) await zfsMust(host.zfs, ['destroy', s.name], `removing ${s.name}`);
      decisions.push({ snapshot: s.name, action: o.dryRun ? 'would remove' : 'removed', reason: `older than the newest ${keep}` });
    }
  }
  return decisions;
}
