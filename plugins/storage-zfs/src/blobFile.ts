/**
 * Writes a blob's bytes into its upload dataset: every chunk, then fsync, so the rename that commits
 * it never exposes a partial file. Quota and pool-full errors become HeliosErrors.
 */
import { open } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { HeliosError } from '@helios-ci/sdk';

/** Writes the stream to a new file and syncs it; returns the byte count. */
export async function writeBlobFile(path: string, data: AsyncIterable<Uint8Array>, quota: { group: string; bytes: number | undefined }): Promise<number> {
  const file = await open(path, 'wx', 0o644);
  let size = 0;
  try {
    for await (const chunk of data) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await file.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
      size += chunk.byteLength;
    }
    await file.sync();
    return size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Node has no name for EDQUOT on Linux ("Unknown system error -122"): compare the number.
    if (code === 'EDQUOT' || (err as NodeJS.ErrnoException).errno === -(osConstants.errno.EDQUOT ?? NaN)) {
      throw new HeliosError('E_STORAGE_QUOTA', `storage-zfs: repository ${quota.group} ran over its quota (${quota.bytes} bytes) while writing; nothing was kept; prune its caches or artifacts, or raise quotaPerRepositoryBytes`, { cause: err });
    }
    if (code === 'ENOSPC') throw new HeliosError('E_STORAGE_FULL', `storage-zfs: the pool ran out of space while writing a blob of ${quota.group}; nothing was kept; prune or grow the pool`, { cause: err });
    throw err;
  } finally {
    await file.close().catch(() => {});
  }
}
