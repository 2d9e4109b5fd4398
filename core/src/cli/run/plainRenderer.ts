import type { EventBus } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import { formatMs, STATE_ICON } from './format.js';

/** For pipes and CI logs: one prefixed line per event, no cursor movement. */
export function attachPlainRenderer(bus: EventBus, store: Store, write: (text: string) => void): () => void {
  const name = (jobId: string) => store.jobs.get(jobId)?.name ?? jobId;
  const offs = [
    bus.on('job.started', (e) => write(`[${name(e.jobId)}] started\n`)),
    bus.on('job.step', (e) => {
      if (e.state === 'started') write(`[${name(e.jobId)}] ▶ step ${e.step}: ${e.name}\n`);
      else {
        const step = store.steps.get(e.jobId, e.step);
        write(`[${name(e.jobId)}] ${STATE_ICON[e.conclusion ?? ''] ?? '·'} step ${e.step}: ${e.name} ${e.conclusion ?? ''} ${formatMs(step && step.startedAt !== null && step.finishedAt !== null ? step.finishedAt - step.startedAt : null)}\n`);
      }
    }),
    bus.on('job.log', (e) => {
      const prefix = `[${name(e.jobId)}] `;
      write(e.lines.map((l) => prefix + l + '\n').join(''));
    }),
    bus.on('job.annotation', (e) => {
      const a = e.annotation;
      write(`[${name(e.jobId)}] ${a.level}: ${a.file ? `${a.file}:${a.line ?? ''}${a.col ? `:${a.col}` : ''}: ` : ''}${a.message}\n`);
    }),
    bus.on('job.finished', (e) => write(`[${name(e.jobId)}] ${STATE_ICON[e.state] ?? ''} ${e.state}${e.reason ? ` (${e.reason})` : ''}\n`)),
  ];
  return () => offs.forEach((off) => off());
}
