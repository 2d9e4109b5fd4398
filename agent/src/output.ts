/**
 * One step's output stream: bytes → complete lines → workflow commands → masking → log batches.
 *
 * Masking happens only on complete lines (the carry of a partial line waits for its newline), so a
 * secret split across two read() chunks is still masked. Blocks without any "::" skip per-line work
 * entirely: they are masked as a block (equivalent, since masked values hold no newline).
 */
import { parseCommand } from './commands.js';
import type { Connection, WireStream } from './connection.js';
import type { SecretMasker as Masker } from '@helios-ci/sdk/secret-masker';

/** A line longer than this is cut (the cut may split a secret; GitHub's runner has a similar cap). */
const MAX_LINE_BYTES = 1024 * 1024;

export interface AnnotationOut {
  level: 'error' | 'warning' | 'notice';
  message: string;
  title: string;
  file: string;
  line: number;
  col: number;
  endLine: number;
  endColumn: number;
}

/** Per-step command state shared by the step's stdout and stderr. */
export class CommandState {
  stopToken: string | null = null;
  constructor(
    readonly step: string,
    readonly conn: Connection,
    readonly masker: Masker,
  ) {}

  /** Every free-text field is masked: `file=` is as much step output as the message is. */
  annotate(a: AnnotationOut): void {
    const m = this.masker;
    this.conn.send({ annotation: { step: this.step, ...a, message: m.mask(a.message), title: m.mask(a.title), file: m.mask(a.file) } });
  }
}

const int = (v: string | undefined): number => {
  const n = Number.parseInt(v ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
};

export class OutputPipe {
  private carry: Buffer[] = [];
  private carryLen = 0;

  constructor(
    private readonly state: CommandState,
    private readonly stream: WireStream,
  ) {}

  write(chunk: Buffer): void {
    const nl = chunk.lastIndexOf(10);
    if (nl < 0) {
      this.carry.push(chunk);
      this.carryLen += chunk.length;
      if (this.carryLen > MAX_LINE_BYTES) this.flushCarry();
      return;
    }
    if (this.carryLen > 0) {
      // Only the line that straddles the chunk boundary is joined; the rest of the chunk goes on
      // without a copy (copying every chunk cost a full extra pass over bulk output).
      const first = chunk.indexOf(10);
      this.carry.push(chunk.subarray(0, first));
      const straddling = Buffer.concat(this.carry);
      this.carry = [];
      this.carryLen = 0;
      this.block(straddling);
      // The lines terminated by the newlines after `first`, if there are any.
      if (nl > first) this.block(chunk.subarray(first + 1, nl));
    } else {
      this.block(chunk.subarray(0, nl));
    }
    if (nl + 1 < chunk.length) {
      this.carry.push(chunk.subarray(nl + 1));
      this.carryLen = chunk.length - nl - 1;
    }
  }

  /** End of stream: a last line without newline is still a line. */
  end(): void {
    this.flushCarry();
  }

  private flushCarry(): void {
    if (this.carryLen === 0) return;
    const block = Buffer.concat(this.carry);
    this.carry = [];
    this.carryLen = 0;
    this.block(block);
  }

  /** Complete lines as bytes: bulk output goes out undecoded; anything special takes the text path. */
  private block(block: Buffer): void {
    const state = this.state;
    if (state.stopToken === null && !state.masker.needsWorkBytes(block)) {
      state.conn.log(state.step, this.stream, block, countLineBytes(block));
      return;
    }
    this.text(block.toString('utf8'));
  }

  private text(raw: string): void {
    const state = this.state;
    if (state.stopToken === null && !state.masker.needsWork(raw)) {
      // Bulk output: nothing to mask, no commands, no CRs — forward as is.
      state.conn.log(state.step, this.stream, raw, countLines(raw));
      return;
    }
    let text = raw;
    if (text.includes('\r')) text = text.replace(/\r+\n/g, '\n').replace(/\r+$/, '');
    if (state.stopToken === null && !text.includes('::')) {
      this.emit(text, countLines(text));
      return;
    }
    const pending: string[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      this.emit(pending.join('\n'), pending.length);
      pending.length = 0;
    };
    for (const line of text.split('\n')) {
      if (state.stopToken !== null) {
        if (line.trim() === `::${state.stopToken}::`) state.stopToken = null;
        else pending.push(line);
        continue;
      }
      const cmd = line.includes('::') ? parseCommand(line) : null;
      if (!cmd) {
        pending.push(line);
        continue;
      }
      switch (cmd.name) {
        case 'add-mask':
          // Registered before anything else is masked; the command line itself is not shown.
          if (cmd.message.trim()) state.masker.add(cmd.message);
          break;
        case 'error':
        case 'warning':
        case 'notice': {
          pending.push(`##[${cmd.name}]${cmd.message.replace(/\n/g, ' ')}`);
          flush();
          const p = cmd.properties;
          state.annotate({
            level: cmd.name,
            message: cmd.message,
            title: p.title ?? '',
            file: p.file ?? '',
            line: int(p.line),
            col: int(p.col ?? p.column),
            endLine: int(p.endLine),
            endColumn: int(p.endColumn),
          });
          break;
        }
        case 'group':
          pending.push(`##[group]${cmd.message}`);
          break;
        case 'endgroup':
          pending.push('##[endgroup]');
          break;
        case 'debug':
          pending.push(`##[debug]${cmd.message}`);
          break;
        case 'stop-commands':
          if (cmd.message.trim()) state.stopToken = cmd.message.trim();
          break;
        case 'echo':
          break;
        default:
          pending.push(line);
      }
    }
    flush();
  }

  private emit(text: string, count: number): void {
    this.state.conn.log(this.state.step, this.stream, this.state.masker.mask(text), count);
  }
}

function countLineBytes(block: Buffer): number {
  let n = 1;
  let i = block.indexOf(10);
  while (i >= 0) {
    n++;
    i = block.indexOf(10, i + 1);
  }
  return n;
}

function countLines(text: string): number {
  let n = 1;
  let i = text.indexOf('\n');
  while (i >= 0) {
    n++;
    i = text.indexOf('\n', i + 1);
  }
  return n;
}
