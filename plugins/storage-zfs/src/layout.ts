/**
 * Where everything lives under the parent dataset, and the names that may go there. Every name is
 * checked here, before any command runs: a dataset name that reaches `zfs` is built only from
 * components that passed `COMPONENT`.
 *
 *   <parent>/images/<image>[@snap]       golden images (the operator's; never destroyed by Helios)
 *   <parent>/jobs/<job>-image            a job's clone of an image
 *   <parent>/jobs/<job>-warm             a job's warm-path volume (clone of a head, or fresh)
 *   <parent>/warm/<id>@<id>              warm heads (snapshot named after the head: promote moves
 *                                        snapshots between heads, so names must be unique pool-wide)
 *   <parent>/caches/<slug>/<id>@committed     one dataset per cache entry, one file `data`
 *   <parent>/artifacts/<slug>/<id>@committed  likewise per artifact; <slug> is the repository group
 *   <parent>/uploads/<job>-<random>      a blob being written; renamed into place when complete
 *   <parent>/prepared/<image>/<name>@prepared  a job's image clone kept after its `prepare` (vmactions
 *                                        cache-after-prepare); later jobs clone its @prepared; removed
 *                                        when unused too long (preparedPruner.ts)
 *
 * Ids handed out are these paths relative to the parent (`jobs/j1-image`, `caches/<slug>/<id>`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { HeliosError, checkStorageId, checkStorageName, type BlobKind, type StorageRef } from '@helios-ci/sdk';

/** One dataset-name component we make (ids, slugs): starts with a letter or digit, then `_ . -`. */
export const COMPONENT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** A repository group (`forge/owner/name`): components joined by `/`. */
const GROUP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]{0,99}){0,5}$/;
/** The configured parent: a pool and datasets below it. */
export const PARENT = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}(?:\/[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}){0,10}$/;

export type Area = 'images' | 'jobs' | 'warm' | 'caches' | 'artifacts' | 'uploads' | 'prepared';
export const AREAS: readonly Area[] = ['images', 'jobs', 'warm', 'caches', 'artifacts', 'uploads', 'prepared'];

export const SNAPSHOT_COMMITTED = 'committed';
export const PROP_JOB = 'helios:job';
export const PROP_KIND = 'helios:kind';
export const PROP_SIZE = 'helios:size';
export const PROP_GROUP = 'helios:group';
/** On a job's image clone: `<image>/<name>`, the prepared image it becomes when released (keepPrepared). */
export const PROP_PREPARED = 'helios:prepared';
/** On a prepared image: epoch ms of the last clone made from it (ZFS user properties are lower case). */
export const PROP_LAST_USED = 'helios:lastused';
/** The snapshot of a prepared image that jobs clone. */
export const SNAPSHOT_PREPARED = 'prepared';
/**
 * Set on a dataset removed while something still holds it (clones of a warm head's snapshot, a reader
 * of a blob, the writer of an upload): invisible from then on, destroyed by a later sweep.
 */
export const PROP_REMOVED = 'helios:removed';

function invalid(what: string, value: unknown, rule: string): HeliosError {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : `(${value === null ? 'null' : typeof value})`;
  return new HeliosError('E_STORAGE_NAME_INVALID', `storage-zfs: ${what} ${shown} is refused: ${rule}; nothing was run`, { facts: { what } });
}

/** A job id, image or snapshot name, in the form every Storage backend accepts (the sdk's check). */
export function checkComponent(what: string, value: unknown): string {
  return checkStorageName(`storage-zfs: ${what}`, value);
}

/** An id handed back: malformed is E_STORAGE_NAME_INVALID; well-formed but not ours is `parseId`'s null. */
export function checkId(what: string, value: unknown): string {
  return checkStorageId(`storage-zfs: ${what}`, value);
}

/** The dataset-safe, collision-free name of a repository group (`github/acme/widget`). */
export function groupSlug(group: unknown): string {
  if (typeof group !== 'string' || !GROUP.test(group) || group.split('/').some((c) => c === '.' || c === '..' || c.includes('..'))) {
    throw invalid('repository group', group, 'expected forge/owner/name made of letters, digits, "_", "." and "-"');
  }
  // Readable prefix plus a hash of the exact group: `a/b-c` and `a-b/c` get different slugs.
  const readable = group.replace(/\//g, '-').slice(0, 60).replace(/[.-]+$/, '');
  return `${readable}-${createHash('sha256').update(group).digest('hex').slice(0, 12)}`;
}

/** A fresh id component: time-ordered (for humans reading `zfs list`), then random. */
export function newId(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

export const blobArea = (kind: BlobKind): Area => (kind === 'cache' ? 'caches' : 'artifacts');

export type ParsedId =
  | { area: 'jobs'; kind: 'image-clone' | 'warm'; job: string; name: string }
  | { area: 'warm'; head: string }
  | { area: 'caches' | 'artifacts'; kind: BlobKind; slug: string; name: string }
  | { area: 'uploads'; name: string };

/**
 * Reads an id: a malformed one is E_STORAGE_NAME_INVALID, a well-formed one that is not in a shape
 * this backend makes is null (unknown: nothing to read, remove or clone).
 */
export function parseId(id: unknown): ParsedId | null {
  checkId('storage id', id);
  const parts = (id as string).split('/');
  if (!parts.slice(1).every((p) => COMPONENT.test(p))) return null;
  const [area, a, b] = parts;
  if (parts.length === 2 && area === 'jobs') {
    const m = /^(.+)-(image|warm)$/.exec(a!);
    if (!m || !COMPONENT.test(m[1]!)) return null;
    return { area: 'jobs', kind: m[2] === 'image' ? 'image-clone' : 'warm', job: m[1]!, name: a! };
  }
  if (parts.length === 2 && area === 'warm') return { area: 'warm', head: a! };
  if (parts.length === 2 && area === 'uploads') return { area: 'uploads', name: a! };
  if (parts.length === 3 && (area === 'caches' || area === 'artifacts')) return { area, kind: area === 'caches' ? 'cache' : 'artifact', slug: a!, name: b! };
  return null;
}

/** The kind `list()` reports for an id, matching `parseId`. */
export function refKind(parsed: ParsedId): StorageRef['kind'] {
  switch (parsed.area) {
    case 'jobs': return parsed.kind;
    case 'warm': return 'warm-head';
    case 'uploads': return 'upload';
    default: return parsed.kind;
  }
}
