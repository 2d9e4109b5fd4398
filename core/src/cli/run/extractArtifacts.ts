/**
 * `helios run` hands the run's artifacts to the user as directories: each artifact's zip (as
 * actions/upload-artifact made it) is extracted to `<dir>/<run>/<name>/`. Entries are only ever
 * written as regular files and directories inside that directory: names that are absolute, hold
 * `..` or a backslash, or resolve outside it (zip slip) stop the extraction with an error, and
 * symlink entries are written as the plain files they are stored as, never as links.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type yauzl from 'yauzl';
import { HeliosError } from '@helios-ci/sdk';
import type { Artifacts } from '../../blobs/artifacts.js';
import { checkArtifactName } from '../../blobs/names.js';

export interface ExtractedArtifact {
  name: string;
  dir: string;
  files: number;
}

/** Writes every artifact of `runId` under `<root>/<runId>/<name>/`; returns what went where. */
export async function extractRunArtifacts(artifacts: Artifacts, runId: string, root: string): Promise<ExtractedArtifact[]> {
  const out: ExtractedArtifact[] = [];
  const runDir = resolve(root, runId);
  for (const a of artifacts.list(runId)) {
    // Names were checked at upload; checked again because a path is made of this one.
    checkArtifactName(a.name);
    const found = await artifacts.open(runId, a.name);
    if (!found) continue;
    const dir = join(runDir, a.name);
    await mkdir(dir, { recursive: true });
    const zipPath = join(runDir, `.${a.name}.zip.partial`);
    try {
      await pipeline(Readable.from(found.data), createWriteStream(zipPath, { mode: 0o600 }));
      out.push({ name: a.name, dir, files: await extractZip(zipPath, dir, a.name) });
    } finally {
      await rm(zipPath, { force: true });
    }
  }
  return out;
}

/** A zip entry's path inside `dir`, or an error naming the entry. */
export function safeEntryPath(dir: string, fileName: string, artifact: string): string {
  const unsafe = (why: string) => new HeliosError('E_ARTIFACT_ZIP_INVALID', `artifact ${artifact}: zip entry ${JSON.stringify(fileName)} ${why}; nothing outside ${dir} is written`);
  if (fileName.includes('\0')) throw unsafe('contains a NUL byte');
  if (fileName.includes('\\')) throw unsafe('contains a backslash');
  if (isAbsolute(fileName) || /^[A-Za-z]:/.test(fileName)) throw unsafe('is an absolute path');
  if (fileName.split('/').includes('..')) throw unsafe('climbs out with ".."');
  const target = resolve(dir, fileName);
  if (target !== dir && !target.startsWith(dir + sep)) throw unsafe('resolves outside the artifact directory');
  return target;
}

async function extractZip(zipPath: string, dir: string, artifact: string): Promise<number> {
  // Loaded here: most runs have no artifacts, and the CLI should not pay for a zip reader at start.
  const { default: yauzlLib } = await import('yauzl');
  let zip: yauzl.ZipFile;
  try {
    // decodeStrings off: names are checked here, with an error that says which entry.
    zip = await yauzlLib.openPromise(zipPath, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    throw new HeliosError('E_ARTIFACT_ZIP_INVALID', `artifact ${artifact} is not a readable zip: ${(err as Error).message}`, { cause: err });
  }
  let files = 0;
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (entry: yauzl.Entry) => {
        void (async () => {
          const name = (entry.fileNameRaw ?? Buffer.from(String(entry.fileName))).toString('utf8');
          const target = safeEntryPath(dir, name, artifact);
          if (name.endsWith('/')) {
            await mkdir(target, { recursive: true });
          } else {
            await mkdir(dirname(target), { recursive: true });
            const stream = await zip.openReadStreamPromise(entry);
            // 'wx': never follow or replace anything already there (an earlier entry of the same name).
            await pipeline(stream, createWriteStream(target, { flags: 'wx', mode: 0o644 }));
            files++;
          }
          zip.readEntry();
        })().catch(fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  return files;
}
