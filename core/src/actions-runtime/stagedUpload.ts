/**
 * The bytes of one upload between the client's PUTs/PATCHes and the finalize call, in a directory
 * of their own: Azure block-blob style (`comp=block` blocks, then a `comp=blocklist` commit, or one
 * plain PUT) for the v2 cache and artifacts, byte ranges for the v1 cache. Only a finalize hands
 * them to the Storage plugin, as one stream; until then nothing is stored, and a cut-off request
 * leaves no block behind (it is written to a temporary name and renamed when complete).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { HeliosError } from '@helios-ci/sdk';

const DATA = 'data';

export class StagedUpload {
  private written = 0;

  constructor(
    readonly dir: string,
    /** Bytes this upload may stage at most (the entry's limit). */
    private readonly maxBytes: number,
    private readonly tooLarge: () => HeliosError,
  ) {}

  static async create(dir: string, maxBytes: number, tooLarge: () => HeliosError): Promise<StagedUpload> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new StagedUpload(dir, maxBytes, tooLarge);
  }

  /** A whole blob in one PUT (replaces what was staged). */
  async putWhole(body: Readable, length: number | null): Promise<void> {
    await this.receive(body, DATA, length);
  }

  /** One block of a block blob (`comp=block&blockid=`). */
  async putBlock(blockId: string, body: Readable, length: number | null): Promise<void> {
    await this.receive(body, blockFile(blockId), length);
  }

  /** `comp=blocklist`: the blocks in order become the blob. */
  async commitBlocks(blockIds: readonly string[]): Promise<void> {
    const have = new Set(await readdir(this.dir));
    for (const id of blockIds) if (!have.has(blockFile(id))) throw new HeliosError('E_UPLOAD_INCOMPLETE', `the block list names block ${id}, which was never uploaded completely; upload it again`);
    const tmp = join(this.dir, `${DATA}.partial`);
    const out = createWriteStream(tmp, { mode: 0o600 });
    try {
      for (const id of blockIds) await pipeline(createReadStream(join(this.dir, blockFile(id))), out, { end: false });
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    await rename(tmp, join(this.dir, DATA));
  }

  /** v1 cache: one `Content-Range: bytes start-end/*` chunk (chunks arrive in any order, in parallel). */
  async putRange(start: number, end: number, body: Readable): Promise<void> {
    const length = end - start + 1;
    if (!(start >= 0 && length > 0)) throw new HeliosError('E_USAGE', `Content-Range bytes ${start}-${end} is not a byte range`);
    if (end + 1 > this.maxBytes) throw this.tooLarge();
    const fh = await open(join(this.dir, DATA), 'a+').then(async (h) => {
      await h.close();
      return open(join(this.dir, DATA), 'r+');
    });
    let got = 0;
    try {
      let pos = start;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        got += chunk.length;
        if (got > length) throw new HeliosError('E_USAGE', `the chunk is longer than its Content-Range (${length} bytes)`);
        await fh.write(chunk, 0, chunk.length, pos);
        pos += chunk.length;
      }
    } finally {
      await fh.close();
    }
    if (got !== length) throw new HeliosError('E_UPLOAD_INCOMPLETE', `the chunk for bytes ${start}-${end} ended after ${got} of ${length} bytes; nothing of it counts — send it again`);
    this.ranges.push([start, end + 1]);
  }

  private readonly ranges: [number, number][] = [];

  /** True when the v1 ranges received cover 0..size exactly. */
  rangesCover(size: number): boolean {
    const sorted = [...this.ranges].sort((a, b) => a[0] - b[0]);
    let reach = 0;
    for (const [s, e] of sorted) {
      if (s > reach) return false;
      reach = Math.max(reach, e);
    }
    return reach === size;
  }

  /** The committed blob's size, or null when nothing was committed. */
  async size(): Promise<number | null> {
    try {
      return (await stat(join(this.dir, DATA))).size;
    } catch {
      return null;
    }
  }

  /** The committed blob, read once (to the Storage plugin or a hash). */
  read(): AsyncIterable<Uint8Array> {
    return createReadStream(join(this.dir, DATA));
  }

  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async receive(body: Readable, name: string, length: number | null): Promise<void> {
    if (length !== null && this.written + length > this.maxBytes) throw this.tooLarge();
    const tmp = join(this.dir, `${name}.partial`);
    let got = 0;
    const counter = async function* (this: StagedUpload, src: AsyncIterable<Buffer>) {
      for await (const chunk of src) {
        got += chunk.length;
        if (this.written + got > this.maxBytes) throw this.tooLarge();
        yield chunk;
      }
    }.bind(this);
    try {
      await pipeline(body, counter, createWriteStream(tmp, { mode: 0o600 }));
      if (length !== null && got !== length) throw new HeliosError('E_UPLOAD_INCOMPLETE', `the upload ended after ${got} of ${length} bytes (Content-Length); nothing of it was kept — send it again`);
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof HeliosError) throw err;
      throw new HeliosError('E_UPLOAD_INCOMPLETE', `the upload was cut off after ${got} bytes; nothing of it was kept — send it again`, { cause: err });
    }
    this.written += got;
    await rename(tmp, join(this.dir, name));
  }
}

/** Block ids are base64 strings the client picks; the file name is their hex, so no path tricks. */
function blockFile(blockId: string): string {
  if (blockId.length === 0 || blockId.length > 1024) throw new HeliosError('E_USAGE', 'a block id must be 1 to 1024 characters');
  return `block-${Buffer.from(blockId, 'utf8').toString('hex')}`;
}
