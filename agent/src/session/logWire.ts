/**
 * AgentMessage{seq, log} encoded by hand: one allocation, the batch's bytes copied once (its parts
 * are joined straight into the message, with no joined copy of the batch in between). Log
 * batches are nearly all the agent's traffic; through protobufjs each batch was copied into its
 * writer and allocated again (fromObject, encode, finish), and every large Buffer the agent frees
 * counts towards V8's external-memory limit, which forces full garbage collections — in the logs
 * benchmark those collections were the agent's largest cost. Every other message, and a log whose
 * fields do not fit this path, goes through protobufjs as before. Field numbers: agent.proto.
 */
import type { LogBody } from './logBatcher.js';
import type { WireBuffers } from './wireBuffers.js';

const STREAM_NUMBER: Record<string, number> = { STDOUT: 1, STDERR: 2, SYSTEM: 3 };

const TAG_SEQ = 0x08; // 1, varint
const TAG_LOG = 0x5a; // 11, length-delimited
const TAG_STEP = 0x0a; // Log.step = 1, length-delimited
const TAG_STREAM = 0x10; // Log.stream = 2, varint
const TAG_TS = 0x18; // Log.ts = 3, varint
const TAG_LINES = 0x22; // Log.lines = 4, length-delimited
const TAG_LINE_COUNT = 0x28; // Log.line_count = 5, varint
const NEWLINE = 0x0a;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 128) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

const safe = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A batch as parts joined by "\n" (the batcher's) or as one joined Buffer; null when neither. */
function linesOf(log: Partial<LogBody> & { lines?: unknown }): { parts: readonly Buffer[]; bytes: number } | null {
  if (Array.isArray(log.parts)) {
    let bytes = log.parts.length > 0 ? log.parts.length - 1 : 0;
    for (const p of log.parts) {
      if (!Buffer.isBuffer(p)) return null;
      bytes += p.length;
    }
    return bytes === log.bytes ? { parts: log.parts, bytes } : null;
  }
  return Buffer.isBuffer(log.lines) ? { parts: [log.lines], bytes: log.lines.length } : null;
}

/**
 * The encoded message, or null when it is not a plain log batch this encoder handles. With `buffers`
 * the message is written into memory lent for `msg` (returned by buffers.release(msg)).
 */
export function encodeLogMessage(msg: { seq?: unknown; log?: (Partial<LogBody> & { lines?: unknown }) | null }, buffers?: WireBuffers): Buffer | null {
  const log = msg.log;
  if (!log || typeof log.step !== 'string') return null;
  const lines = linesOf(log);
  if (!lines) return null;
  const stream = STREAM_NUMBER[log.stream as string];
  const seq = msg.seq ?? 0;
  if (stream === undefined || !safe(seq) || !safe(log.ts) || !safe(log.lineCount) || log.lineCount > 0xffffffff) return null;
  const step = Buffer.from(log.step, 'utf8');
  const body =
    1 + varintSize(step.length) + step.length + 1 + 1 + 1 + varintSize(log.ts) + 1 + varintSize(lines.bytes) + lines.bytes + 1 + varintSize(log.lineCount);
  const total = 1 + varintSize(seq) + 1 + varintSize(body) + body;
  const out = buffers ? buffers.take(total, msg) : Buffer.allocUnsafe(total);
  let at = 0;
  out[at++] = TAG_SEQ;
  at = writeVarint(out, at, seq);
  out[at++] = TAG_LOG;
  at = writeVarint(out, at, body);
  out[at++] = TAG_STEP;
  at = writeVarint(out, at, step.length);
  at += step.copy(out, at);
  out[at++] = TAG_STREAM;
  out[at++] = stream;
  out[at++] = TAG_TS;
  at = writeVarint(out, at, log.ts);
  out[at++] = TAG_LINES;
  at = writeVarint(out, at, lines.bytes);
  lines.parts.forEach((part, i) => {
    if (i > 0) out[at++] = NEWLINE;
    at += part.copy(out, at);
  });
  out[at++] = TAG_LINE_COUNT;
  at = writeVarint(out, at, log.lineCount);
  if (at !== total) throw new Error(`log message encoding: wrote ${at} of ${total} bytes`);
  return out;
}
