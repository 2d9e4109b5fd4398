/**
 * Log batching: complete, masked lines of one step and stream are collected into one open batch
 * and handed on when it reaches `batchBytes`, when `batchDelayMs` passed since its first line, when
 * the step or stream changes, or on flush() (before any other event, to keep the order).
 *
 * A batch does not grow past `batchBytes`: a block that would take the open batch over it closes the
 * batch first (a single block larger than that still goes as one batch), so messages have a known
 * size. Large batches are cheaper end to end: each message costs the agent a trip through grpc-js
 * (serialize, frame, HTTP/2 write, ack) and the service a decode and a sink call.
 */
import type { Log } from '@helios-ci/proto';

export type WireStream = 'STDOUT' | 'STDERR' | 'SYSTEM';

/**
 * One batch as it goes on the wire (agent.proto's Log). `parts` joined by "\n" are the batch's
 * lines (`bytes` long); they are joined only where the message is encoded (session/logWire.ts), so
 * the batch is copied once on its way out. `lines` joins them for anything else that needs it.
 */
export type LogBody = Omit<Log, 'lines'> & { step: string; stream: WireStream; ts: number; parts: readonly Buffer[]; bytes: number; lineCount: number; readonly lines: Buffer };

export interface LogBatcherOptions {
  /** Largest batch (bytes, the "\n" between blocks included), unless one block alone is larger. */
  batchBytes: number;
  /** Longest a line waits before its batch is sent. */
  batchDelayMs: number;
}

export class LogBatcher {
  private step = '';
  private stream: WireStream = 'STDOUT';
  /** Parts are joined once, when the message is encoded. */
  private parts: Buffer[] = [];
  /** Bytes of the parts joined by "\n". */
  private bytes = 0;
  private lines = 0;
  private ts = 0;
  private timer: NodeJS.Timeout | null = null;

  /** `emit` gets each finished batch with its size in bytes. */
  constructor(
    private readonly opts: LogBatcherOptions,
    private readonly emit: (log: LogBody, bytes: number) => void,
  ) {}

  /** Appends complete lines (joined by "\n"; UTF-8 bytes or text) to the open batch. */
  add(step: string, stream: WireStream, data: string | Buffer, lineCount: number): void {
    const text = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (lineCount === 0) return;
    if (this.parts.length > 0 && (this.step !== step || this.stream !== stream || this.bytes + 1 + text.length > this.opts.batchBytes)) this.send();
    if (this.parts.length === 0) {
      this.step = step;
      this.stream = stream;
      this.ts = Date.now();
      this.timer ??= setTimeout(() => this.onTimer(), this.opts.batchDelayMs);
    } else {
      this.bytes += 1;
    }
    this.parts.push(text);
    this.bytes += text.length;
    this.lines += lineCount;
    if (this.bytes >= this.opts.batchBytes) this.send();
  }

  /** Hands on the open batch, if any. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.send();
  }

  /**
   * A batch that filled up leaves the timer running: under bulk output batches fill far more often
   * than batchDelayMs, and one timer per batchDelayMs (re-armed for a batch still young) costs less
   * than arming and clearing one per batch.
   */
  private onTimer(): void {
    this.timer = null;
    if (this.parts.length === 0) return;
    const wait = this.ts + this.opts.batchDelayMs - Date.now();
    if (wait > 0) this.timer = setTimeout(() => this.onTimer(), wait);
    else this.send();
  }

  private send(): void {
    if (this.parts.length === 0) return;
    const log = logBody(this.step, this.stream, this.ts, this.parts, this.bytes, this.lines);
    this.parts = [];
    this.bytes = 0;
    this.lines = 0;
    this.emit(log, log.bytes);
  }

  /** No more timed flushes (the connection is closing); lines added later wait for flush(). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

const NEWLINE = Buffer.from('\n');

function logBody(step: string, stream: WireStream, ts: number, parts: readonly Buffer[], bytes: number, lineCount: number): LogBody {
  let joined: Buffer | null = parts.length === 1 ? parts[0]! : null;
  return {
    step,
    stream,
    ts,
    parts,
    bytes,
    lineCount,
    get lines(): Buffer {
      joined ??= joinLines(parts, bytes);
      return joined;
    },
  };
}

/** Parts joined by "\n" in one allocation. */
export function joinLines(parts: readonly Buffer[], bytes: number): Buffer {
  const list: Buffer[] = [];
  for (const p of parts) {
    if (list.length) list.push(NEWLINE);
    list.push(p);
  }
  return Buffer.concat(list, bytes);
}
