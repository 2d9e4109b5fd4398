import { HeliosError } from './errors.js';

/**
 * The names a Storage backend accepts from the kernel (job ids, image names) and the ids it hands
 * out, checked the same way by every backend so the conformance suite can hold them all to it.
 * Backends build paths, dataset names and command arguments from these, so the forms are strict:
 * no shell metacharacters, no `/` or `..` to walk out of a directory, no leading `-` that a command
 * could read as an option, and short enough for a ZFS dataset name (at most 255 bytes in all).
 */

/** Longest job id or image name a backend accepts. */
export const STORAGE_NAME_MAX = 128;
/** Longest storage id (volume, warm head, blob, upload) a backend accepts back. */
export const STORAGE_ID_MAX = 512;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

function shown(value: unknown): string {
  if (typeof value !== 'string') return `(${value === null ? 'null' : typeof value})`;
  return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}... (${value.length} characters)` : JSON.stringify(value);
}

/** `value` if it is a job id or image name a backend may use; otherwise E_STORAGE_NAME_INVALID. */
export function checkStorageName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > STORAGE_NAME_MAX || !NAME.test(value) || value.includes('..')) {
    throw new HeliosError(
      'E_STORAGE_NAME_INVALID',
      `${what} ${shown(value)} is refused: it must be 1-${STORAGE_NAME_MAX} characters of A-Z a-z 0-9 . _ -, start with a letter or digit, and not contain ".."`,
      { facts: { what, length: typeof value === 'string' ? value.length : null } },
    );
  }
  return value;
}

/**
 * `value` if it has the form of a storage id (`[A-Za-z0-9._/-]`, no `..`, no empty segment, no
 * leading `/` or `-`); otherwise E_STORAGE_NAME_INVALID. A well-formed id need not exist.
 */
export function checkStorageId(what: string, value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > STORAGE_ID_MAX ||
    !ID.test(value) ||
    value.includes('..') ||
    value.includes('//') ||
    value.endsWith('/')
  ) {
    throw new HeliosError(
      'E_STORAGE_NAME_INVALID',
      `${what} ${shown(value)} is refused: a storage id is 1-${STORAGE_ID_MAX} characters of A-Z a-z 0-9 . _ - /, starts with a letter or digit, and has no ".." or empty path segment`,
      { facts: { what, length: typeof value === 'string' ? value.length : null } },
    );
  }
  return value;
}
