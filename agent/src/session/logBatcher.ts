/**
 * Log batching: complete, masked lines of one step and stream are collected into one open batch
 * and handed on when it reaches `batchBytes`, when `batchDelayMs` passed since its first line, when
 * the step or stream changes, or on flush() (before any other event, to keep the order).
 */
import type { Log } from '@helios-ci/proto';

export type WireStream = 'STDOUT' | 'STDERR' | 'SYSTEM';

/** One batch as it goes on the wire (agent.proto's Log). */
export type LogBody = Log & { step: string; stream: WireStream; ts: number; lines: Buffer; lineCount: number };

export interface LogBatcherOptions {
  /** Largest batch (bytes) before it is sent. */
  batchBytes: number;
  /** Longest a line waits before its batch is sent. */
  batchDelayMs: number;
}

export class LogBatcher {
  private step = '';
  private stream: WireStream = 'STDOUT';
  /** Parts are joined once, at flush. */
  private parts: Buffer[] = [];
  private chars = 0;
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
    if (this.parts.length > 0 && (this.step !== step || this.stream !== stream)) this.flush();
    if (this.parts.length === 0) {
      this.step = step;
      this.stream = stream;
      this.ts = Date.now();
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.opts.batchDelayMs);
    }
    this.parts.push(text);
    this.chars += text.length;
    this.lines += lineCount;
    if (this.chars >= this.opts.batchBytes) this.flush();
  }

  /** Hands on the open batch, if any. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.parts.length === 0) return;
    const lines = this.parts.length === 1 ? this.parts[0]! : joinLines(this.parts, this.chars);
    const log: LogBody = { step: this.step, stream: this.stream, ts: this.ts, lines, lineCount: this.lines };
    this.parts = [];
    this.chars = 0;
    this.lines = 0;
    this.emit(log, lines.length);
  }

  /** No more timed flushes (the connection is closing); lines added later wait for flush(). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

const NEWLINE = Buffer.from('\n');

/** The batch's parts joined by "\n" in one allocation. */
function joinLines(parts: Buffer[], bytes: number): Buffer {
  const list: Buffer[] = [];
  for (const p of parts) {
    if (list.length) list.push(NEWLINE);
    list.push(p);
  }
  return Buffer.concat(list, bytes + parts.length - 1);
}
