/**
 * actions/cache, actions/cache/restore and actions/cache/save, step for step as GitHub's
 * restoreImpl/saveImpl behave: validation problems fail a restore, cache service problems are only
 * warnings (caching is an optimisation), `cache-hit` is set only when an entry was found, and the
 * save of actions/cache runs as its post step, skipped when the primary key was an exact hit.
 */
import type { JobContext } from '../../job/jobContext.js';
import type { StorageRpc } from '../../storage/storageRpc.js';
import { getInput, getInputAsArray, getInputAsBool, type Inputs } from '../inputs.js';
import { StepLog } from '../stepLog.js';
import { createCacheArchive, NO_PATHS_MESSAGE, resolveCachePaths, restoreCacheArchive, restoreRoots } from './cacheArchive.js';
import { CacheValidationError, cacheVersion, checkKey, checkPaths, checkRestoreKeys, isExactKeyMatch } from './cacheKeys.js';

/** What the restore hands its post step (GitHub's CACHE_KEY / CACHE_RESULT state). */
export interface CacheState {
  primaryKey: string;
  matchedKey: string;
}

export interface CacheEnv {
  job: JobContext;
  rpc: StorageRpc;
  log: StepLog;
}

const sizeText = (bytes: number): string => `~${Math.round(bytes / (1024 * 1024))} MB (${bytes} B)`;

/** The restore half. `outputsForRestoreOnly`: actions/cache/restore also outputs the keys. */
export async function restoreStep(env: CacheEnv, inputs: Inputs, state: CacheState, restoreOnly: boolean): Promise<Record<string, string>> {
  const outputs: Record<string, string> = {};
  const primaryKey = getInput(inputs, 'key', true);
  state.primaryKey = primaryKey;
  if (restoreOnly) outputs['cache-primary-key'] = primaryKey;
  const restoreKeys = getInputAsArray(inputs, 'restore-keys');
  const paths = getInputAsArray(inputs, 'path', true);
  const crossOs = getInputAsBool(inputs, 'enableCrossOsArchive');
  const failOnCacheMiss = getInputAsBool(inputs, 'fail-on-cache-miss');
  const lookupOnly = getInputAsBool(inputs, 'lookup-only');
  const keys = [primaryKey, ...restoreKeys];
  const matched = await restoreCache(env, paths, keys, crossOs, lookupOnly);
  if (!matched) {
    if (failOnCacheMiss) throw new Error(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${primaryKey}`);
    env.log.info(`Cache not found for input keys: ${keys.join(', ')}`);
    return outputs;
  }
  state.matchedKey = matched;
  if (restoreOnly) outputs['cache-matched-key'] = matched;
  outputs['cache-hit'] = String(isExactKeyMatch(primaryKey, matched));
  env.log.info(lookupOnly ? `Cache found and can be restored from key: ${matched}` : `Cache restored from key: ${matched}`);
  return outputs;
}

/** @actions/cache restoreCache: the matched key, or undefined (a service error is a warning). */
async function restoreCache(env: CacheEnv, paths: string[], keys: string[], crossOs: boolean, lookupOnly: boolean): Promise<string | undefined> {
  checkPaths(paths);
  checkRestoreKeys(keys);
  const { job, rpc, log } = env;
  try {
    const download = await rpc.restoreCache(keys, cacheVersion(paths, crossOs), lookupOnly);
    const { header } = download;
    if (!header.found) return undefined;
    log.info(header.name !== keys[0] ? `Cache hit for restore-key: ${header.name}` : `Cache hit for: ${header.name}`);
    if (lookupOnly) {
      log.info('Lookup only - skipping download');
      return header.name;
    }
    log.info(`Cache Size: ${sizeText(header.size)}`);
    await restoreCacheArchive(download.body, restoreRoots(paths, job.workspace), job.workspace, job.temp);
    log.info('Cache restored successfully');
    return header.name;
  } catch (err) {
    if (err instanceof CacheValidationError) throw err;
    log.warning(`Failed to restore: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * The save half (the post step of actions/cache, or actions/cache/save). Never fails the step:
 * every problem is a warning, as saveImpl's are. Returns whether an entry was stored.
 */
export async function saveStep(env: CacheEnv, inputs: Inputs, state: CacheState | null): Promise<boolean> {
  const { log } = env;
  // saveImpl's utils.logWarning: an info line that starts with "[warning]".
  const logWarning = (message: string) => log.info(`[warning]${message}`);
  try {
    const primaryKey = state?.primaryKey || getInput(inputs, 'key');
    if (!primaryKey) {
      logWarning('Key is not specified.');
      return false;
    }
    if (state && isExactKeyMatch(primaryKey, state.matchedKey)) {
      log.info(`Cache hit occurred on the primary key ${primaryKey}, not saving cache.`);
      return false;
    }
    const paths = getInputAsArray(inputs, 'path', true);
    const crossOs = getInputAsBool(inputs, 'enableCrossOsArchive');
    const saved = await saveCache(env, paths, primaryKey, crossOs);
    if (saved) log.info(`Cache saved with key: ${primaryKey}`);
    return saved;
  } catch (err) {
    logWarning((err as Error).message);
    return false;
  }
}

async function saveCache(env: CacheEnv, paths: string[], key: string, crossOs: boolean): Promise<boolean> {
  checkPaths(paths);
  checkKey(key);
  const { job, rpc, log } = env;
  const relPaths = await resolveCachePaths(paths, job.workspace);
  if (relPaths.length === 0) throw new Error(NO_PATHS_MESSAGE);
  try {
    const result = await rpc.uploadCache(key, cacheVersion(paths, crossOs), createCacheArchive(relPaths, job.workspace));
    if (!result.stored) {
      log.warning(`Cache reservation failed: ${result.reason || 'the server kept nothing'}`);
      log.info(`Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
      return false;
    }
    log.info(`Cache Size: ${sizeText(result.size)}`);
    return true;
  } catch (err) {
    log.warning(`Failed to save: ${(err as Error).message}`);
    return false;
  }
}
