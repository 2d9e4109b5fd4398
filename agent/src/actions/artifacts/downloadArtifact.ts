/**
 * actions/download-artifact (v4 inputs and messages): one artifact by `name`, or the run's
 * artifacts filtered by `pattern`, each into `<path>/<name>/` unless `merge-multiple` (from v5 on,
 * a single matched artifact also goes straight into `path`, as GitHub's does).
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { Minimatch } from 'minimatch';
import type { StorageRpc } from '../../storage/storageRpc.js';
import { getBooleanInput, getInput, type Inputs } from '../inputs.js';
import type { StepLog } from '../stepLog.js';
import { validateArtifactName } from './artifactNames.js';
import { extractZip } from './zipArchive.js';

export interface DownloadContext {
  rpc: StorageRpc;
  log: StepLog;
  workspace: string;
  temp: string;
  /** Major version of the action as used (`@v4` → 4); null when unknown (newest behaviour). */
  major: number | null;
}

export async function downloadArtifactStep(ctx: DownloadContext, raw: Inputs): Promise<Record<string, string>> {
  try {
    return await download(ctx, raw);
  } catch (err) {
    throw new Error(`Unable to download artifact(s): ${(err as Error).message}`);
  }
}

async function download(ctx: DownloadContext, raw: Inputs): Promise<Record<string, string>> {
  const { rpc, log } = ctx;
  const name = getInput(raw, 'name');
  const pattern = getInput(raw, 'pattern');
  const mergeMultiple = getBooleanInput(raw, 'merge-multiple', false);
  if (getInput(raw, 'github-token') || getInput(raw, 'artifact-ids')) {
    throw new Error('github-token and artifact-ids are not supported by helios-agent: only artifacts of this run can be downloaded, by name or pattern');
  }
  let path = getInput(raw, 'path') || ctx.workspace;
  if (path.startsWith('~')) path = path.replace('~', homedir());
  const resolvedPath = resolve(ctx.workspace, path);

  let names: string[];
  if (name) {
    log.info('Downloading single artifact');
    names = [name];
  } else {
    const all = (await rpc.listArtifacts()).map((a) => a.name);
    if (pattern) {
      log.info(`Filtering artifacts by pattern '${pattern}'`);
      const matcher = new Minimatch(pattern);
      names = all.filter((n) => matcher.match(n));
    } else {
      log.info('No input name, artifact-ids or pattern filtered specified, downloading all artifacts');
      if (!mergeMultiple) log.info('An extra directory with the artifact name will be created for each download');
      names = all;
    }
  }
  const flat = !!name || mergeMultiple || ((ctx.major === null || ctx.major >= 5) && names.length === 1);
  if (names.length > 0) {
    log.info('Preparing to download the following artifacts:');
    for (const n of names) log.info(`- ${n}`);
  }
  for (const n of names) {
    validateArtifactName(n);
    if (n === '.' || n === '..') throw new Error(`artifact name ${JSON.stringify(n)} cannot be a directory name`);
    await downloadOne(ctx, n, flat ? resolvedPath : join(resolvedPath, n));
  }
  log.info(`Total of ${names.length} artifact(s) downloaded`);
  log.info('Download artifact has finished successfully');
  return { 'download-path': resolvedPath };
}

/** The zip goes to a temp file first: only a complete download (sizes checked) is extracted. */
async function downloadOne(ctx: DownloadContext, name: string, dest: string): Promise<void> {
  const { header, body } = await ctx.rpc.downloadArtifact(name);
  if (!header.found) throw new Error(`Artifact '${name}' not found`);
  await mkdir(ctx.temp, { recursive: true });
  const zipFile = join(ctx.temp, `artifact-${randomUUID()}.zip`);
  try {
    await pipeline(body, createWriteStream(zipFile));
    const files = await extractZip(zipFile, dest);
    ctx.log.info(`Artifact '${name}' (${header.size} bytes, ${files} files) extracted to ${dest}`);
  } finally {
    await rm(zipFile, { force: true });
  }
}
