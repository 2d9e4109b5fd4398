import type { LogLine } from '../store/records.js';

/** Reads lines with seq < `before`, newest first, at most `limit` (LogReader.readBackward bound to a job). */
export type ReadBackward = (before: number, limit: number) => LogLine[];

export const truncationMarker = (omitted: number, url: string): string =>
  `… ${omitted} earlier line${omitted === 1 ? '' : 's'} not shown; full log: ${url}\n`;

/**
 * The newest lines of a log that fit in `maxChars` (JS string length), oldest first, joined with
 * newlines. When lines had to be left out, the text starts with a truncation marker that counts
 * them and links to the full log, and the marker counts against `maxChars` too. Greedy and exact:
 * one more older line would not fit. A single line longer than the room left is cut from its start
 * (its end, the most recent output, is kept).
 */
export function buildLogTail(read: ReadBackward, lastSeq: number, maxChars: number, fullLogUrl: string): string {
  if (lastSeq <= 0 || maxChars <= 0) return '';
  // Pass 1: newest lines while they fit without a marker (if we reach line 1, the log fits whole).
  const kept: { seq: number; text: string }[] = []; // newest first
  let used = 0; // length of the kept lines joined with '\n'
  let before = lastSeq + 1;
  let whole = false;
  const CHUNK = 512;
  outer: for (;;) {
    const batch = read(before, CHUNK);
    if (batch.length === 0) {
      whole = kept.length > 0 && kept[kept.length - 1]!.seq === 1;
      break;
    }
    for (const line of batch) {
      const add = line.text.length + (kept.length ? 1 : 0);
      if (used + add > maxChars) break outer;
      kept.push({ seq: line.seq, text: line.text });
      used += add;
    }
    before = batch[batch.length - 1]!.seq;
  }
  const join = () => kept.map((l) => l.text).reverse().join('\n');
  if (whole) return join();
  // Pass 2: make room for the marker by dropping the oldest kept lines until both fit.
  while (kept.length > 0) {
    const marker = truncationMarker(kept[kept.length - 1]!.seq - 1, fullLogUrl);
    if (marker.length + used <= maxChars) return marker + join();
    const dropped = kept.pop()!;
    used -= dropped.text.length + (kept.length ? 1 : 0);
  }
  // Not even the newest line fits: keep the end of it (the most recent output) behind the marker.
  const newest = read(lastSeq + 1, 1)[0];
  const marker = truncationMarker(lastSeq - 1, fullLogUrl);
  const room = maxChars - marker.length;
  return room > 0 && newest ? marker + newest.text.slice(Math.max(0, newest.text.length - room)) : marker.slice(0, maxChars);
}
