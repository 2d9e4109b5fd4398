/** Artifact name and file path checks, with @actions/artifact's character lists and messages. */

const FILE_PATH_CHARS: [string, string][] = [
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
const NAME_CHARS: [string, string][] = [...FILE_PATH_CHARS, ['\\', ' Backslash \\'], ['/', ' Forward slash /']];

export function validateArtifactName(name: string): void {
  if (!name) throw new Error('Provided artifact name input during validation is empty');
  for (const [char, label] of NAME_CHARS) {
    if (name.includes(char)) {
      throw new Error(
        `The artifact name is not valid: ${name}. Contains the following character: ${label}\n\nInvalid characters include: ${NAME_CHARS.map(([, l]) => l).join(',')}\n\nThese characters are not allowed in the artifact name due to limitations with certain file systems such as NTFS. To maintain file system agnostic behavior, these characters are intentionally not allowed to prevent potential problems with downloads on different file systems.`,
      );
    }
  }
}

export function validateFilePath(path: string): void {
  if (!path) throw new Error('Provided file path input during validation is empty');
  for (const [char, label] of FILE_PATH_CHARS) {
    if (path.includes(char)) {
      throw new Error(
        `The path for one of the files in artifact is not valid: ${path}. Contains the following character: ${label}\n\nInvalid characters include: ${FILE_PATH_CHARS.map(([, l]) => l).join(',')}\n\nThe following characters are not allowed in files that are uploaded due to limitations with certain file systems such as NTFS. To maintain file system agnostic behavior, these characters are intentionally not allowed to prevent potential problems with downloads on different file systems.`,
      );
    }
  }
}
