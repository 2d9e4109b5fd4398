import type { Annotation } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import type { RunView } from '../../orchestrator/runView.js';

const TAIL = 40;

/** After a failed run: the failing step's last lines, and the annotations, per failed job. */
export function printFailures(store: Store, view: RunView, write: (text: string) => void): void {
  for (const job of view.jobs) {
    if (!['failed', 'errored', 'timed_out'].includes(job.state)) continue;
    const failing = job.steps.find((s) => s.conclusion === 'failure');
    const step = failing?.number ?? 0;
    const last = store.logReader.lastSeq(job.id);
    const lines = store.logReader
      .readBackward(job.id, last + 1, 5000)
      .filter((l) => l.step === step)
      .slice(0, TAIL)
      .reverse();
    write(`\n── ${job.name}: ${job.state}${job.reason ? ` (${job.reason})` : ''}${failing ? ` at step ${failing.number}: ${failing.name}` : ''} ──\n`);
    for (const l of lines) write(`  ${l.text}\n`);
    for (const a of job.annotations) write(`  ${formatAnnotation(a)}\n`);
  }
  const others = view.jobs.filter((j) => !['failed', 'errored', 'timed_out'].includes(j.state) && j.annotations.length);
  if (others.length) write('\nAnnotations:\n');
  for (const job of others) for (const a of job.annotations) write(`  [${job.name}] ${formatAnnotation(a)}\n`);
}

function formatAnnotation(a: Annotation): string {
  return `${a.level}: ${a.file ? `${a.file}:${a.line ?? ''}${a.col ? `:${a.col}` : ''}: ` : ''}${a.title ? `${a.title}: ` : ''}${a.message}`;
}
