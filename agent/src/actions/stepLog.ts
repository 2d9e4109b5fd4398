/** What a builtin action prints: plain lines, and warnings/errors that also become annotations, as core.warning() does. */
import type { JobContext } from '../job/jobContext.js';

export class StepLog {
  constructor(
    private readonly job: JobContext,
    readonly step: string,
  ) {}

  info(line: string): void {
    for (const l of line.split('\n')) this.job.system(this.step, l);
  }

  warning(message: string): void {
    this.annotate('warning', message);
  }

  error(message: string): void {
    this.annotate('error', message);
  }

  private annotate(level: 'warning' | 'error', message: string): void {
    const m = this.job.masker;
    this.job.system(this.step, `##[${level}]${message.replace(/\n/g, ' ')}`);
    this.job.conn.send({ annotation: { step: this.step, level, message: m.mask(message), title: '', file: '', line: 0, col: 0, endLine: 0, endColumn: 0 } });
  }
}
