import type { EventBus } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import { formatMs, STATE_ICON } from './format.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const COLOUR: Record<string, string> = { succeeded: '32', success: '32', failed: '31', failure: '31', errored: '31', timed_out: '31', cancelled: '33', skipped: '90' };

/**
 * For terminals: a live tree of the run's jobs and their steps with spinners and timings, redrawn
 * in place. Log lines are not streamed here (the tree stays readable); the failing step's log is
 * printed at the end.
 */
export class TtyRenderer {
  private lines = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly off: () => void;

  constructor(
    private readonly bus: EventBus,
    private readonly store: Store,
    private readonly runId: () => string | null,
    private readonly write: (text: string) => void,
  ) {
    const redraw = () => this.draw();
    const offs = [bus.on('job.step', redraw), bus.on('job.started', redraw), bus.on('job.finished', redraw)];
    this.off = () => offs.forEach((o) => o());
    this.timer = setInterval(() => {
      this.frame++;
      this.draw();
    }, 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.off();
    this.draw();
  }

  private paint(code: string | undefined, text: string): string {
    return code ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private icon(state: string, active: boolean): string {
    if (active) return this.paint('36', SPINNER[this.frame % SPINNER.length]!);
    return this.paint(COLOUR[state], STATE_ICON[state] ?? '·');
  }

  private draw(): void {
    const runId = this.runId();
    if (!runId) return;
    const now = Date.now();
    const out: string[] = [];
    for (const job of this.store.jobs.listByRun(runId)) {
      const active = job.state === 'running' || job.state === 'provisioning';
      const started = job.startedAt ?? job.provisioningAt;
      const took = started === null ? '' : formatMs((job.finishedAt ?? now) - started);
      out.push(`${this.icon(job.state, active)} ${job.name}  ${this.paint('90', `${job.state} ${took}`)}`);
      if (job.state === 'queued' || job.state === 'skipped') continue;
      for (const step of this.store.steps.list(job.id)) {
        const running = step.state === 'running';
        const state = step.conclusion ?? step.state;
        const stepTook = step.startedAt === null ? '' : formatMs((step.finishedAt ?? now) - step.startedAt);
        out.push(`   ${this.icon(state, running)} ${step.name}  ${this.paint('90', stepTook)}`);
      }
    }
    const text = (this.lines ? `\x1b[${this.lines}A\x1b[J` : '') + out.join('\n') + '\n';
    this.lines = out.length;
    this.write(text);
  }
}
