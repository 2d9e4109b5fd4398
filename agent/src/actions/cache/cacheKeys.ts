/** Key and path checks and the entry version, with @actions/cache's rules and messages. */
import { createHash } from 'node:crypto';
import { cacheKeyProblem, cacheKeysProblem } from '@helios-ci/sdk';

/** A problem @actions/cache reports as a ValidationError: the step fails on restore. */
export class CacheValidationError extends Error {}

/** The archive format this agent writes; part of the version, so a zstd entry never restores here. */
export const COMPRESSION_METHOD = 'gzip';
/** @actions/cache's version salt (bumped by GitHub on breaking changes of the entry format). */
const VERSION_SALT = '1.0';

export function checkPaths(paths: string[]): void {
  if (paths.length === 0) throw new CacheValidationError('Path Validation Error: At least one directory or file path is required');
}

export function checkKey(key: string): void {
  const problem = cacheKeyProblem(key);
  if (problem) throw new CacheValidationError(problem);
}

/** The primary key then the restore keys, checked as restoreCache does. */
export function checkRestoreKeys(keys: string[]): void {
  const problem = cacheKeysProblem(keys);
  if (problem) throw new CacheValidationError(problem);
}

/**
 * getCacheVersion: sha256 of the `path` lines as written, the compression method and the salt,
 * joined by '|'. The cross-OS flag only adds "windows-only" on Windows, where this agent never runs.
 */
export function cacheVersion(paths: string[], _enableCrossOsArchive: boolean): string {
  return createHash('sha256').update([...paths, COMPRESSION_METHOD, VERSION_SALT].join('|')).digest('hex');
}

/** isExactKeyMatch: equal ignoring case but not accents (localeCompare, sensitivity "accent"). */
export function isExactKeyMatch(key: string, matched: string | undefined): boolean {
  return !!matched && matched.localeCompare(key, undefined, { sensitivity: 'accent' }) === 0;
}
