/**
 * Artifact zips: written with yazl straight into the upload stream (files are read as the zip is
 * consumed, never held in memory), read back with yauzl from a fully downloaded file. Extraction
 * refuses any entry that is absolute, holds a `..` segment or would land outside the destination
 * (zip slip); file modes are not restored, as GitHub's artifacts do not keep them.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as yauzl from 'yauzl';
import yazl from 'yazl';

export interface ZipItem {
  /** Absolute path of the file (links are followed). */
  source: string;
  /** Name inside the zip, '/'-separated, relative. */
  name: string;
}

export function createZipStream(items: ZipItem[], compressionLevel: number): Readable {
  const zip = new yazl.ZipFile();
  const out = zip.outputStream as Readable;
  // yazl reports a file it cannot stat or read on the ZipFile, not on the stream being consumed.
  zip.on('error', (err: Error) => out.destroy(err));
  for (const item of items) zip.addFile(item.source, item.name, { compressionLevel });
  zip.end();
  return out;
}

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root === '/' ? '/' : `${root}/`);

/**
 * Extracts every entry of the zip at `file` under `dest`; returns the number of files written. The
 * names are all checked first (the central directory alone), so a refused zip writes nothing.
 */
export async function extractZip(file: string, dest: string): Promise<number> {
  const root = resolve(dest);
  await eachEntry(file, async (_zip, entry) => {
    checkName(entry.fileName, root);
  });
  await mkdir(root, { recursive: true });
  let files = 0;
  await eachEntry(file, async (zip, entry) => {
    if (await writeEntry(zip, entry, root)) files++;
  });
  return files;
}

/** Visits the entries one at a time; yauzl's own name checks (absolute, `..`, `\\`) refuse the zip too. */
async function eachEntry(file: string, visit: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<void>): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, z) => (err ? rej(new Error(`the artifact is not a valid zip: ${err.message}`)) : res(z))),
  );
  try {
    await new Promise<void>((res, rej) => {
      zip.on('error', (err: Error) => rej(new Error(`the artifact archive was refused: ${err.message}`)));
      zip.on('end', () => res());
      zip.on('entry', (entry: yauzl.Entry) => {
        visit(zip, entry).then(
          () => zip.readEntry(),
          (err: Error) => rej(err),
        );
      });
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
}

function checkName(name: string, root: string): string {
  const target = resolve(root, name);
  if (name.includes('\\') || isAbsolute(name) || name.split('/').includes('..') || !inside(root, target)) {
    throw new Error(`the artifact archive was refused: entry ${JSON.stringify(name)} would be written outside ${root}`);
  }
  return target;
}

async function writeEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, root: string): Promise<boolean> {
  const name = entry.fileName;
  const target = checkName(name, root);
  if (name.endsWith('/')) {
    await mkdir(target, { recursive: true });
    return false;
  }
  await mkdir(dirname(target), { recursive: true });
  const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s))));
  await pipeline(stream, createWriteStream(target));
  return true;
}
