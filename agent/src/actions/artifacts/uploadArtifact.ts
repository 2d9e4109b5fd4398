/** actions/upload-artifact (v4 inputs and messages): find the files, zip them under their root, upload. */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { StorageRpc } from '../../storage/storageRpc.js';
import { getBooleanInput, getInput, type Inputs } from '../inputs.js';
import type { StepLog } from '../stepLog.js';
import { validateArtifactName, validateFilePath } from './artifactNames.js';
import { findFilesToUpload } from './artifactSearch.js';
import { createZipStream, type ZipItem } from './zipArchive.js';

const NO_FILE_OPTIONS = ['warn', 'error', 'ignore'];

interface UploadInputs {
  name: string;
  path: string;
  ifNoFilesFound: string;
  overwrite: boolean;
  includeHiddenFiles: boolean;
  retentionDays: number;
  compressionLevel: number;
}

/** `hiddenByDefault`: upload-artifact v3 included dot files; v4.4 on leaves them out unless asked. */
function readInputs(inputs: Inputs, hiddenByDefault: boolean): UploadInputs {
  const path = getInput(inputs, 'path', true);
  if (!getBooleanInput(inputs, 'archive', true)) {
    throw new Error('archive: false is not supported by helios-agent: artifacts are always uploaded as a zip; remove the input');
  }
  const ifNoFilesFound = getInput(inputs, 'if-no-files-found') || 'warn';
  if (!NO_FILE_OPTIONS.includes(ifNoFilesFound)) {
    throw new Error(`Unrecognized if-no-files-found input. Provided: ${ifNoFilesFound}. Available options: ${NO_FILE_OPTIONS.join(',')}`);
  }
  let retentionDays = 0;
  const retentionText = getInput(inputs, 'retention-days');
  if (retentionText) {
    retentionDays = Number.parseInt(retentionText, 10);
    if (Number.isNaN(retentionDays) || retentionDays < 0) throw new Error('Invalid retention-days');
  }
  let compressionLevel = 6;
  const levelText = getInput(inputs, 'compression-level');
  if (levelText) {
    compressionLevel = Number.parseInt(levelText, 10);
    if (Number.isNaN(compressionLevel)) throw new Error('Invalid compression-level');
    if (compressionLevel < 0 || compressionLevel > 9) throw new Error('Invalid compression-level. Valid values are 0-9');
  }
  return {
    name: getInput(inputs, 'name') || 'artifact',
    path,
    ifNoFilesFound,
    overwrite: getBooleanInput(inputs, 'overwrite', false),
    includeHiddenFiles: getBooleanInput(inputs, 'include-hidden-files', hiddenByDefault),
    retentionDays,
    compressionLevel,
  };
}

/** Zip entries for `files` relative to `root` (getUploadZipSpecification). */
function zipItems(files: string[], root: string): ZipItem[] {
  return files.map((file) => {
    if (!file.startsWith(root)) throw new Error(`The rootDirectory: ${root} is not a parent directory of the file: ${file}`);
    const uploadPath = file.slice(root.length);
    validateFilePath(uploadPath);
    return { source: file, name: uploadPath.replace(/^\/+/, '') };
  });
}

/** The bytes pass through unchanged; `digest()` is their sha256 once they all went by. */
function digesting(source: Readable): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  async function* pass(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk as Buffer);
      yield chunk as Buffer;
    }
  }
  return { stream: Readable.from(pass()), digest: () => hash.digest('hex') };
}

export async function uploadArtifactStep(rpc: StorageRpc, log: StepLog, workspace: string, raw: Inputs, major: number | null): Promise<Record<string, string>> {
  const inputs = readInputs(raw, major !== null && major <= 3);
  const search = await findFilesToUpload(inputs.path, workspace, inputs.includeHiddenFiles, (line) => log.info(line));
  if (search.files.length === 0) {
    const message = `No files were found with the provided path: ${inputs.path}. No artifacts will be uploaded.`;
    if (inputs.ifNoFilesFound === 'error') throw new Error(message);
    if (inputs.ifNoFilesFound === 'warn') log.warning(message);
    else log.info(message);
    return {};
  }
  const n = search.files.length;
  log.info(`With the provided path, there will be ${n} file${n === 1 ? '' : 's'} uploaded`);
  validateArtifactName(inputs.name);
  const rootStats = await stat(search.rootDirectory).catch(() => null);
  if (!rootStats) throw new Error(`The provided rootDirectory ${search.rootDirectory} does not exist`);
  if (!rootStats.isDirectory()) throw new Error(`The provided rootDirectory ${search.rootDirectory} is not a valid directory`);
  const items = zipItems(search.files, search.rootDirectory);
  const zip = digesting(createZipStream(items, inputs.compressionLevel));
  const result = await rpc.uploadArtifact(inputs.name, inputs.retentionDays, inputs.overwrite, zip.stream);
  if (!result.stored) throw new Error(`Failed to upload artifact ${inputs.name}: ${result.reason || 'the server kept nothing'}`);
  log.info(`Artifact ${inputs.name} has been successfully uploaded! Final size is ${result.size} bytes. Artifact ID is ${inputs.name}`);
  return { 'artifact-id': inputs.name, 'artifact-digest': zip.digest() };
}
