import type Router from '@koa/router';
import { viewJobRecord, viewRun } from '../../orchestrator/runView.js';
import { isTerminalJobState, type Store } from '../../store/index.js';
import { IdParams } from '../api/schemas.js';
import { Value } from '@sinclair/typebox/value';
import { jobPage } from './jobPage.js';
import { sendPage } from './layout.js';
import { sendNotFound } from './notFoundPage.js';
import { runPage } from './runPage.js';

/** Lines rendered into the job page itself; longer logs are streamed in by the page's script. */
const PAGE_LINES = 5000;

/** GET /jobs/:id and GET /runs/:id: plain HTML pages (404 pages for unknown or malformed ids). */
export function mountUiRoutes(router: Router, store: Store): void {
  router.get('/jobs/:id', (ctx) => {
    const id = ctx.params.id ?? '';
    const record = Value.Check(IdParams, { id }) ? store.jobs.get(id) : undefined;
    if (!record) return sendNotFound(ctx, `Job ${id}`);
    // Final state read before the lines: if it is final, the lines read next are all there are.
    const final = isTerminalJobState(record.state);
    const lines = store.logReader.read(id, { limit: PAGE_LINES });
    const next = lines.length ? lines[lines.length - 1]!.seq + 1 : 1;
    const job = viewJobRecord(store, id)!;
    const live = !final || next <= store.logReader.lastSeq(id);
    sendPage(ctx, 200, job.name, (nonce) => jobPage({ job, runId: record.runId, lines, next, live, artifacts: store.artifacts.list(record.runId) }, nonce));
  });

  router.get('/runs/:id', (ctx) => {
    const id = ctx.params.id ?? '';
    const run = Value.Check(IdParams, { id }) ? viewRun(store, id) : null;
    if (!run) return sendNotFound(ctx, `Run ${id}`);
    sendPage(ctx, 200, `Run ${run.repository}`, () => runPage(run, store.artifacts.list(id)), run.state === 'completed' ? {} : { refreshSeconds: 5 });
  });
}
