/**
 * A log batch's bytes → masked text and its lines, decoded in pieces of at most PIECE_BYTES cut at
 * newlines. Why pieces: a string over V8's regular object limit (128 KiB) is allocated in large-object
 * space — its own memory mapping, every page faulted in fresh and unmapped again at the next GC — and
 * that kernel work cost 5–10× the decoding itself for the agent's 256 KiB batches. A newline byte
 * never occurs inside a UTF-8 sequence and no secret value holds one, so decoding and masking piece
 * by piece gives exactly the text and lines of decoding the batch whole (invalid bytes included:
 * a newline ends an invalid sequence either way).
 */
import type { SecretMasker } from '@helios-ci/sdk';

/** Largest piece decoded into one string (bytes; ASCII decodes to as many characters). */
export const PIECE_BYTES = 64 * 1024;

export interface DecodedLines {
  /** The lines joined by "\n" (pieces concatenated, flattened only if someone reads it whole). */
  text: string;
  lines: string[];
}

export function decodeLogLines(bytes: Uint8Array, lineCount: number, masker: SecretMasker, pieceBytes = PIECE_BYTES): DecodedLines {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length <= pieceBytes) {
    const text = masker.maskUtf8(buf);
    return { text, lines: lineCount === 0 ? [] : text.split('\n') };
  }
  const pieces: string[][] = [];
  let text = '';
  for (let start = 0; start <= buf.length; ) {
    let end = buf.length;
    if (start + pieceBytes < buf.length) {
      end = buf.lastIndexOf(10, start + pieceBytes);
      // A line longer than a piece is decoded whole.
      if (end < start) end = buf.indexOf(10, start + pieceBytes);
      if (end < 0) end = buf.length;
    }
    const piece = masker.maskUtf8(buf.subarray(start, end));
    text = start === 0 ? piece : `${text}\n${piece}`;
    pieces.push(piece.split('\n'));
    start = end + 1;
  }
  return { text, lines: lineCount === 0 ? [] : pieces.length === 1 ? pieces[0]! : ([] as string[]).concat(...pieces) };
}
