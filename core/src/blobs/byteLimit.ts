import { HeliosError } from '@helios-ci/sdk';

/**
 * Passes `data` through, counting bytes; past `max` it throws `tooLarge()` — mid-stream, so the
 * Storage write it feeds aborts and keeps nothing.
 */
export async function* limitBytes(data: AsyncIterable<Uint8Array>, max: number, tooLarge: () => HeliosError, counted: { bytes: number }): AsyncIterable<Uint8Array> {
  for await (const chunk of data) {
    counted.bytes += chunk.byteLength;
    if (counted.bytes > max) throw tooLarge();
    yield chunk;
  }
}

/** Reads an upload to its end and throws the bytes away (an immutable cache entry that exists). */
export async function drain(data: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of data) void chunk;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
