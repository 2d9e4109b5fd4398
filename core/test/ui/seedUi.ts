import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Annotation } from '@helios-ci/sdk';
import { Store } from '../../src/store/store.js';
import { LogCompactor } from '../../src/store/logs/logCompactor.js';
import { jobPlan, runPlan } from '../helpers/storeFixtures.js';

export const XSS = {
  job: `"><img src=x onerror="window.__xss='job'">`,
  step: `<script>window.__xss='step'</script>`,
  branch: `"><img src=x onerror="window.__xss='branch'">`,
  line: `<script>window.__xss='line'</script> and "><img src=x onerror="window.__xss='line2'">`,
  annotation: `<img src=x onerror="window.__xss='annotation'"> at <script>window.__xss='a2'</script>`,
};

export interface Seeded {
  widgetRun: string;
  widgetJob: string;
  gadgetRun: string;
  bigJob: string;
  bigLines: number;
}

/**
 * Runs of three repositories written before `helios serve` starts on the data dir; finished logs are
 * compacted here as serve would at start, so the server is not busy with that during the tests.
 */
export async function seedUi(dataDir: string, bigLines: number): Promise<Seeded> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = Store.open(join(dataDir, 'helios.db'));
  try {
    const make = (repo: string, ref: string, event: string, keys: { key: string; name?: string; needs?: string[]; matrix?: Record<string, string> }[]) => {
      const plans = keys.map((k) => ({ ...jobPlan(k.key, ['Set up', XSS.step]), name: k.name ?? k.key, needs: k.needs ?? [], matrix: k.matrix ?? null }));
      const { run, jobs } = store.runs.create({ repo: { owner: 'acme', name: repo }, sha: 'abc123def4567890', ref, event, trusted: true, plan: { ...runPlan(plans) } });
      return { run, jobs };
    };
    const finish = (jobId: string, state: 'succeeded' | 'failed', lines: { text: string; stream?: 'stdout' | 'stderr' | 'egress' }[], annotations: Annotation[] = []) => {
      store.jobs.transition(jobId, 'provisioning');
      store.jobs.transition(jobId, 'running');
      store.steps.declare(jobId, ['Set up', XSS.step]);
      store.steps.start(jobId, 1, 'Set up');
      store.steps.finish(jobId, 1, 'success');
      store.steps.start(jobId, 2, XSS.step);
      for (let i = 0; i < lines.length; i += 10_000) {
        store.logs.append(jobId, lines.slice(i, i + 10_000).map((l, j) => ({ step: 2, stream: l.stream ?? 'stdout', ts: 1_700_000_000_000 + i + j, text: l.text })));
      }
      store.steps.finish(jobId, 2, state === 'succeeded' ? 'success' : 'failure');
      if (annotations.length) store.annotations.add(jobId, annotations);
      store.jobs.transition(jobId, state);
    };

    const gadget = make('gadget', 'refs/heads/feature', 'pull_request', [{ key: 'lint' }]);
    finish(gadget.jobs[0]!.id, 'failed', [{ text: 'lint failed' }]);
    store.runs.complete(gadget.run.id, 'failure');

    const big = make('big', 'refs/heads/main', 'push', [{ key: 'flood' }]);
    const bigJob = big.jobs[0]!.id;
    store.jobs.transition(bigJob, 'provisioning');
    store.jobs.transition(bigJob, 'running');
    const text = 'seeded log line '.padEnd(60, 'x');
    for (let start = 1; start <= bigLines; start += 50_000) {
      const n = Math.min(50_000, bigLines - start + 1);
      store.logs.append(bigJob, Array.from({ length: n }, (_, i) => ({ step: 1, stream: 'stdout' as const, ts: 1_700_000_000_000 + start + i, text: `${text} ${start + i}` })));
    }
    store.jobs.transition(bigJob, 'succeeded');
    store.runs.complete(big.run.id, 'success');

    const widget = make('widget', `refs/heads/${XSS.branch}`, 'push', [
      { key: 'build', name: XSS.job, matrix: { os: 'linux' } },
      { key: 'build', name: 'build (illumos)', matrix: { os: 'illumos' } },
      { key: 'test', needs: ['build'] },
    ]);
    const log: { text: string; stream?: 'stdout' | 'stderr' | 'egress' }[] = [];
    for (let i = 1; i <= 30; i++) log.push({ text: `before ${i}` });
    log.push({ text: '##[group]Install dependencies' });
    for (let i = 1; i <= 20; i++) log.push({ text: `inside group ${i}` });
    log.push({ text: '##[endgroup]' });
    log.push({ text: '\u001b[31mred error text\u001b[0m and \u001b[1;32mbold green\u001b[0m' });
    log.push({ text: XSS.line, stream: 'stderr' });
    for (let i = 1; i <= 200; i++) log.push({ text: `after ${i}${i === 150 ? ' needle here' : ''}` });
    log.push({ text: 'egress | CONNECT crates.io:443 allowed 1.2 MB 340 ms', stream: 'egress' });
    finish(widget.jobs[0]!.id, 'failed', log, [{ level: 'failure', message: XSS.annotation, file: 'src/<b>.ts', line: 7 }]);
    finish(widget.jobs[1]!.id, 'succeeded', [{ text: 'ok' }]);
    store.jobs.transition(widget.jobs[2]!.id, 'skipped');
    store.runs.complete(widget.run.id, 'failure');
    const compactor = new LogCompactor(store);
    for (const job of [bigJob, ...widget.jobs.map((j) => j.id), gadget.jobs[0]!.id]) await compactor.compactJob(job);
    return { widgetRun: widget.run.id, widgetJob: widget.jobs[0]!.id, gadgetRun: gadget.run.id, bigJob, bigLines };
  } finally {
    store.close();
  }
}
