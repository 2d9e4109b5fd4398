/**
 * The rules actions/cache and actions/upload-artifact apply to cache keys and artifact names, with
 * their own wording (users search for those messages). Shared by the agent, which fails the step,
 * and the server, which refuses the request: one list, so the two can never disagree.
 */

/** actions/cache: a key has at most 512 characters. */
export const MAX_CACHE_KEY_LENGTH = 512;
/** actions/cache: the primary key and restore keys together, at most 10. */
export const MAX_CACHE_KEYS = 10;

/** What @actions/cache's checkKey says about `key`, or null when it accepts it. */
export function cacheKeyProblem(key: string): string | null {
  if (key.length > MAX_CACHE_KEY_LENGTH) return `Key Validation Error: ${key} cannot be larger than ${MAX_CACHE_KEY_LENGTH} characters.`;
  if (key.includes(',')) return `Key Validation Error: ${key} cannot contain commas.`;
  return null;
}

/** The primary key then the restore keys, as restoreCache checks them. */
export function cacheKeysProblem(keys: readonly string[]): string | null {
  if (keys.length > MAX_CACHE_KEYS) return `Key Validation Error: Keys are limited to a maximum of ${MAX_CACHE_KEYS}.`;
  for (const key of keys) {
    const problem = cacheKeyProblem(key);
    if (problem) return problem;
  }
  return null;
}

/** Characters @actions/artifact refuses in file paths (NTFS and friends), with its labels. */
const FILE_PATH_CHARS: readonly (readonly [string, string])[] = [
  ['"', ' Double quote "'],
  [':', ' Colon :'],
  ['<', ' Less than <'],
  ['>', ' Greater than >'],
  ['|', ' Vertical bar |'],
  ['*', ' Asterisk *'],
  ['?', ' Question mark ?'],
  ['\r', ' Carriage return \\r'],
  ['\n', ' Line feed \\n'],
];
/** Names refuse the path characters and the separators. */
const NAME_CHARS: readonly (readonly [string, string])[] = [...FILE_PATH_CHARS, ['\\', ' Backslash \\'], ['/', ' Forward slash /']];

/** What upload-artifact v4 says about an artifact name, or null when it accepts it. */
export function artifactNameProblem(name: string): string | null {
  if (!name) return 'Provided artifact name input during validation is empty';
  for (const [char, label] of NAME_CHARS) {
    if (name.includes(char)) {
      return `The artifact name is not valid: ${name}. Contains the following character: ${label}\n\nInvalid characters include: ${NAME_CHARS.map(([, l]) => l).join(',')}\n\nThese characters are not allowed in the artifact name due to limitations with certain file systems such as NTFS. To maintain file system agnostic behavior, these characters are intentionally not allowed to prevent potential problems with downloads on different file systems.`;
    }
  }
  return null;
}

/** What upload-artifact v4 says about the path of a file inside an artifact, or null. */
export function artifactFilePathProblem(path: string): string | null {
  if (!path) return 'Provided file path input during validation is empty';
  for (const [char, label] of FILE_PATH_CHARS) {
    if (path.includes(char)) {
      return `The path for one of the files in artifact is not valid: ${path}. Contains the following character: ${label}\n\nInvalid characters include: ${FILE_PATH_CHARS.map(([, l]) => l).join(',')}\n\nThe following characters are not allowed in files that are uploaded due to limitations with certain file systems such as NTFS. To maintain file system agnostic behavior, these characters are intentionally not allowed to prevent potential problems with downloads on different file systems.`;
    }
  }
  return null;
}
