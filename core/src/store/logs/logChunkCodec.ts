import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants } from 'node:zlib';
import { HeliosError } from '@helios-ci/sdk';
import type { LogLine, LogStreamName } from '../records.js';

/**
 * The byte format of one compacted log chunk (`log_chunks.data`):
 *
 *   byte 0      format (1 = this layout, brotli)
 *   bytes 1..   brotli( varint count
 *                       count × [ varint seqDelta, varint step, byte stream, zigzag-varint tsDelta, varint textBytes ]
 *                       the texts, UTF-8, back to back )
 *
 * Metadata first, texts after (columnar), so brotli sees long runs of similar text rather than text
 * interleaved with binary. Seq and ts are deltas from the previous line (the first from the chunk's
 * first seq and from 0): seqs are mostly +1 (a capped log has one gap) and ts deltas a few ms, so
 * a line's metadata costs ~4 bytes before compression and almost nothing after.
 */
const FORMAT_BROTLI_V1 = 1;

// Append only: the code is stored in every chunk.
const STREAMS: readonly LogStreamName[] = ['stdout', 'stderr', 'system', 'console', 'egress'];
const STREAM_CODE: Record<LogStreamName, number> = { stdout: 0, stderr: 1, system: 2, console: 3, egress: 4 };

/** Brotli quality 5 of 11: within a few % of the best ratio on build logs at a fraction of q11's time. */
const BROTLI_OPTIONS = {
  params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_LGWIN]: 20 },
};
const compress = promisify(brotliCompress);

/** Growable byte buffer for the metadata column. */
class Bytes {
  buf = Buffer.allocUnsafe(1024);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }
  /** Unsigned LEB128 of a non-negative safe integer (arithmetic, not bitwise: ts needs > 32 bits). */
  varint(n: number): void {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }
  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** The uncompressed payload of a chunk (exported for tests of the layout). */
export function packChunk(lines: readonly LogLine[], firstSeq: number): Buffer {
  const meta = new Bytes();
  const texts: Buffer[] = [];
  meta.varint(lines.length);
  let prevSeq = firstSeq;
  let prevTs = 0;
  for (const l of lines) {
    const text = Buffer.from(l.text, 'utf8');
    meta.varint(l.seq - prevSeq);
    meta.varint(l.step);
    meta.byte(STREAM_CODE[l.stream]);
    meta.zigzag(l.ts - prevTs);
    meta.varint(text.length);
    texts.push(text);
    prevSeq = l.seq;
    prevTs = l.ts;
  }
  return Buffer.concat([meta.view(), ...texts]);
}

/** Compresses a chunk of lines (in seq order, seqs ascending from `lines[0].seq`), off the event loop. */
export async function encodeChunk(lines: readonly LogLine[]): Promise<Buffer> {
  const packed = packChunk(lines, lines[0]?.seq ?? 0);
  const body = await compress(packed, { ...BROTLI_OPTIONS, params: { ...BROTLI_OPTIONS.params, [constants.BROTLI_PARAM_SIZE_HINT]: packed.length } });
  return Buffer.concat([Buffer.from([FORMAT_BROTLI_V1]), body]);
}

/** The lines of a chunk whose first line has seq `firstSeq`. E_LOG_CHUNK_CORRUPT when it does not decode. */
export function decodeChunk(jobId: string, firstSeq: number, data: Buffer): LogLine[] {
  const corrupt = (why: string) =>
    new HeliosError('E_LOG_CHUNK_CORRUPT', `the stored log chunk of job ${jobId} starting at line ${firstSeq} cannot be read (${why}); the database file is damaged — restore it from a backup`, {
      facts: { jobId, firstSeq },
    });
  if (data[0] !== FORMAT_BROTLI_V1) throw corrupt(`unknown format ${data[0]}`);
  let raw: Buffer;
  try {
    raw = brotliDecompressSync(data.subarray(1));
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  let at = 0;
  const varint = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= raw.length) throw corrupt('truncated');
      const b = raw[at++]!;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
  };
  const count = varint();
  const meta: { seq: number; step: number; stream: LogStreamName; ts: number; bytes: number }[] = new Array(count);
  let seq = firstSeq;
  let ts = 0;
  for (let i = 0; i < count; i++) {
    seq += varint();
    const step = varint();
    const stream = STREAMS[raw[at++]!];
    if (!stream) throw corrupt('bad stream code');
    const z = varint();
    ts += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    meta[i] = { seq, step, stream, ts, bytes: varint() };
  }
  const lines: LogLine[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const m = meta[i]!;
    if (at + m.bytes > raw.length) throw corrupt('truncated text');
    lines[i] = { jobId, seq: m.seq, step: m.step, stream: m.stream, ts: m.ts, text: raw.toString('utf8', at, at + m.bytes) };
    at += m.bytes;
  }
  if (at !== raw.length) throw corrupt('trailing bytes');
  return lines;
}
