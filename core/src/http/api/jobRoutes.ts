import type Router from '@koa/router';
import { HeliosError } from '@helios-ci/sdk';
import { viewJobRecord, viewRun } from '../../orchestrator/runView.js';
import { isTerminalJobState } from '../../store/index.js';
import type { ApiDeps } from './deps.js';
import { streamJobLog } from './logStream.js';
import { requireAdmin } from './requireAdmin.js';
import { IdParams, LastEventId, LogQuery, LogStreamQuery } from './schemas.js';
import { parseInput } from './validation.js';

/**
 * GET  /api/jobs/:id                         → 200 JobView (+ runId)
 * GET  /api/jobs/:id/log?from=N&limit=M      → 200 { jobId, lines: [{seq, step, stream, ts, text}], next, lastSeq, complete, removed: {at, reason} | null }
 * GET  /api/jobs/:id/log/stream?from=N       → text/event-stream (log / step / finished events)
 * POST /api/jobs/:id/cancel   (admin)        → 202 { job: JobView }
 * POST /api/jobs/:id/rerun    (admin)        → 201 RunView of the new run
 */
export function mountJobRoutes(router: Router, deps: ApiDeps): void {
  const jobId = (params: unknown) => parseInput(IdParams, params, 'E_PARAMS_INVALID', 'the job id').id;
  const job = (id: string) => deps.store.jobs.require(id);

  router.get('/api/jobs/:id', (ctx) => {
    const record = job(jobId(ctx.params));
    ctx.body = { ...viewJobRecord(deps.store, record.id)!, runId: record.runId };
  });

  router.get('/api/jobs/:id/log', (ctx) => {
    const id = jobId(ctx.params);
    const q = parseInput(LogQuery, { ...ctx.query }, 'E_QUERY_INVALID', 'the query', { convert: true });
    // State first: a job read as final here has every line in the store already.
    const final = isTerminalJobState(job(id).state);
    const lines = deps.store.logReader.read(id, { from: q.from, limit: q.limit }).map((l) => ({ seq: l.seq, step: l.step, stream: l.stream, ts: l.ts, text: l.text }));
    const lastSeq = deps.store.logReader.lastSeq(id);
    const next = lines.length ? lines[lines.length - 1]!.seq + 1 : Math.max(q.from, 1);
    // A log removed by retention reads as one notice line; `removed` says so to programs too.
    const removed = deps.store.logReader.removal(id);
    ctx.body = { jobId: id, lines, next, lastSeq, complete: final && next > lastSeq, removed };
  });

  router.get('/api/jobs/:id/log/stream', (ctx) => {
    const id = jobId(ctx.params);
    const q = parseInput(LogStreamQuery, { ...ctx.query }, 'E_QUERY_INVALID', 'the query', { convert: true });
    const header = ctx.get('last-event-id');
    // EventSource reconnects to the same URL (with its ?from) plus Last-Event-ID: the header wins.
    const from = header ? parseInput(LastEventId, header, 'E_LAST_EVENT_ID_INVALID', 'the Last-Event-ID header', { convert: true }) + 1 : (q.from ?? 1);
    const release = deps.streamSlots.acquire(id, ctx.req.socket.remoteAddress ?? 'unknown');
    streamJobLog(ctx, deps, id, from, release);
  });

  router.post('/api/jobs/:id/cancel', requireAdmin(deps.adminToken), (ctx) => {
    const current = job(jobId(ctx.params));
    if (isTerminalJobState(current.state)) {
      throw new HeliosError('E_JOB_FINAL', `job ${current.id} is already ${current.state}; there is nothing to cancel`);
    }
    deps.orchestrator.cancelJob(current.id, 'cancelled through the REST API');
    ctx.status = 202;
    ctx.body = { job: viewJobRecord(deps.store, current.id) };
  });

  router.post('/api/jobs/:id/rerun', requireAdmin(deps.adminToken), (ctx) => {
    const current = job(jobId(ctx.params));
    if (!isTerminalJobState(current.state)) {
      throw new HeliosError('E_JOB_NOT_FINAL', `job ${current.id} is still ${current.state}; cancel it or wait for it to finish before re-running it`);
    }
    const run = deps.orchestrator.rerunJob(current.id);
    ctx.status = 201;
    ctx.set('Location', `/api/runs/${run.id}`);
    ctx.body = viewRun(deps.store, run.id);
  });
}
