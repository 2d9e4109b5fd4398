import type { Logger, Storage, StorageRef } from '@helios-ci/sdk';
import type { Store } from '../store/index.js';

/**
 * At start, before any job runs: what a crash left in Storage goes. Volumes and uploads in
 * progress whose job is not live, and cache/artifact blobs no index row references (a crash
 * between a blob's commit and its row, or a failed removal). Warm heads are indexed by the warm
 * paths service and left to it.
 */
export async function reconcileStorage(o: { storage: Storage; store: Store; liveJobIds: ReadonlySet<string>; logger: Logger; cacheStore?: Store }): Promise<StorageRef[]> {
  let refs: StorageRef[];
  try {
    refs = await o.storage.list();
  } catch (err) {
    o.logger.error('storage list failed during reconciliation; leftovers stay until the next start', { storage: o.storage.id, error: err });
    return [];
  }
  const referenced = new Set([...(o.cacheStore ?? o.store).caches.blobIds(), ...o.store.artifacts.blobIds()]);
  const removed: StorageRef[] = [];
  for (const ref of refs) {
    if (!isLeftover(ref, referenced, o.liveJobIds)) continue;
    try {
      await o.storage.remove(ref);
      removed.push(ref);
    } catch (err) {
      o.logger.error('removing a storage leftover failed', { storage: o.storage.id, id: ref.id, kind: ref.kind, error: err });
    }
  }
  if (removed.length) o.logger.warn('removed storage left by a previous run of Helios', { storage: o.storage.id, count: removed.length, kinds: [...new Set(removed.map((r) => r.kind))] });
  return removed;
}

function isLeftover(ref: StorageRef, referenced: ReadonlySet<string>, live: ReadonlySet<string>): boolean {
  switch (ref.kind) {
    case 'upload':
    case 'image-clone':
    case 'warm':
      return ref.jobId === null || !live.has(ref.jobId);
    case 'cache':
    case 'artifact':
      return !referenced.has(ref.id);
    default:
      return false;
  }
}
