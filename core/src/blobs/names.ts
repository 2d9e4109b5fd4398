/**
 * What actions/cache and actions/upload-artifact accept as keys and names, with their own messages
 * (users search for them). Keys are free text otherwise — `/`, `..`, spaces are legal — and are
 * only ever stored as SQLite values; Storage ids are the backend's, never derived from a key.
 */
import { artifactNameProblem, cacheKeyProblem, HeliosError, MAX_CACHE_KEYS } from '@helios-ci/sdk';

export { MAX_CACHE_KEY_LENGTH, MAX_CACHE_KEYS } from '@helios-ci/sdk';

export function checkCacheKey(key: string): void {
  if (key.length === 0) throw new HeliosError('E_CACHE_KEY_INVALID', 'Input required and not supplied: key (a cache key must not be empty)');
  const problem = cacheKeyProblem(key);
  if (problem) throw new HeliosError('E_CACHE_KEY_INVALID', problem, { facts: { length: key.length } });
}

/** The primary key first, then the restore keys (each checked; empty restore keys are an error too). */
export function checkCacheKeys(keys: readonly string[]): void {
  if (keys.length === 0) throw new HeliosError('E_CACHE_KEY_INVALID', 'Input required and not supplied: key (a cache restore needs at least the primary key)');
  if (keys.length > MAX_CACHE_KEYS) throw new HeliosError('E_CACHE_KEY_INVALID', `Key Validation Error: Keys are limited to a maximum of ${MAX_CACHE_KEYS}.`, { facts: { keys: keys.length } });
  for (const key of keys) checkCacheKey(key);
}

export function checkCacheVersion(version: string): void {
  if (version.length === 0) {
    throw new HeliosError('E_CACHE_VERSION_INVALID', 'the cache request has no version; the agent computes it from the paths and compression (update the helios-agent)');
  }
  if (version.length > 512) throw new HeliosError('E_CACHE_VERSION_INVALID', `the cache version has ${version.length} characters; at most 512 are accepted`);
}

export const MAX_ARTIFACT_NAME_LENGTH = 255;

/**
 * upload-artifact v4's rules, plus what a directory of that name needs (`helios run` writes each
 * artifact to `<dir>/<name>/`): not `.` or `..`, no other control characters, at most 255 characters.
 */
export function checkArtifactName(name: string): void {
  const problem = artifactNameProblem(name);
  if (problem) throw new HeliosError('E_ARTIFACT_NAME_INVALID', problem);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new HeliosError('E_ARTIFACT_NAME_INVALID', `The artifact name is not valid: ${JSON.stringify(name)}. It contains a control character.`);
  if (name === '.' || name === '..') throw new HeliosError('E_ARTIFACT_NAME_INVALID', `The artifact name is not valid: ${name}. "." and ".." name no directory an artifact can be downloaded to.`);
  if (name.length > MAX_ARTIFACT_NAME_LENGTH) throw new HeliosError('E_ARTIFACT_NAME_INVALID', `The artifact name is not valid: it has ${name.length} characters, at most ${MAX_ARTIFACT_NAME_LENGTH} are accepted.`);
}
