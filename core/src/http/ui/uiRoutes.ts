import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type Koa from 'koa';
import type Router from '@koa/router';
import { Value } from '@sinclair/typebox/value';
import { HeliosError, isHeliosError, type ForgeEvent } from '@helios-ci/sdk';
import { viewJobRecord, viewRun } from '../../orchestrator/runView.js';
import { isTerminalJobState, type RunRecord } from '../../store/index.js';
import type { ApiDeps } from '../api/deps.js';
import { summarizeRun } from '../api/runSummary.js';
import { IdParams } from '../api/schemas.js';
import { httpStatusOf } from '../errorStatus.js';
import type { Access, Viewer } from './auth/access.js';
import { checkCsrf } from './auth/csrf.js';
import { approvalPage } from './approvalPage.js';
import { readFormBody } from './formBody.js';
import { html } from './html.js';
import { jobPage } from './jobPage.js';
import { sendPage, type Chrome } from './layout.js';
import { sendNotFound } from './notFoundPage.js';
import { listRuns, parseRunFilter } from './runFilter.js';
import { runPage } from './runPage.js';
import { runsPage } from './runsPage.js';

/** Log lines rendered into the job page itself (readers without script); the client reads ranges. */
const PAGE_LINES = 1000;
const RUNS_PER_PAGE = 25;

export interface UiDeps extends ApiDeps {
  access: Access;
  ownOrigins(ctx: { protocol: string; host: string }): string[];
}

const validId = (id: string) => Value.Check(IdParams, { id });

/**
 * The web UI's pages and forms:
 * GET  /, /runs                        the runs list (filters: repository, branch, event, status; ?before= pages)
 * GET  /runs/:id, /jobs/:id            run (needs graph, actions) and job (steps, log) pages
 * GET  /jobs/:id/log.txt               the raw log, streamed
 * GET  /approvals/:id                  a fork pull request held for approval
 * POST /runs/:id/rerun (scope), /runs/:id/cancel, /jobs/:id/rerun, /jobs/:id/cancel, /approvals/:id/approve
 *      (write access and the session's CSRF token, or the admin token) → 303 to the resulting page
 */
export function mountUiRoutes(router: Router, deps: UiDeps): void {
  const { store, access } = deps;
  const chrome = (ctx: Koa.Context, viewer: Viewer): Chrome => ({
    login: viewer.kind === 'user' ? viewer.session.login : viewer.kind === 'admin' ? 'admin' : undefined,
    csrf: viewer.kind === 'user' ? viewer.session.csrf : undefined,
    signIn: access.signInProviders.size > 0,
    path: ctx.path,
  });
  const canRead = async (viewer: Viewer, run: RunRecord) => (await access.permission(viewer, run)) !== 'none';

  const listPage = async (ctx: Koa.Context) => {
    const viewer = access.viewer(ctx);
    const filter = parseRunFilter(ctx.query);
    const before = typeof ctx.query.before === 'string' && validId(ctx.query.before) ? ctx.query.before : null;
    const { runs, next } = await listRuns(store, filter, before, RUNS_PER_PAGE, (r) => canRead(viewer, r));
    const distinct = (sql: string) => store.db.prepare(sql).pluck().all() as string[];
    const repositories = distinct("SELECT DISTINCT json_extract(repo_json, '$.owner') || '/' || json_extract(repo_json, '$.name') AS r FROM runs ORDER BY r LIMIT 200");
    const events = distinct('SELECT DISTINCT event FROM runs ORDER BY event LIMIT 50');
    sendPage(ctx, 200, 'Runs', () => runsPage({ runs: runs.map((r) => summarizeRun(store, r)), filter, next, repositories, events }), { page: 'runs', refreshSeconds: 10, chrome: chrome(ctx, viewer) });
  };
  router.get('/', listPage);
  router.get('/runs', listPage);

  router.get('/runs/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const record = validId(id) ? store.runs.get(id) : undefined;
    if (!record) return sendNotFound(ctx, `Run ${id}`);
    const viewer = await access.requireRead(ctx, record);
    const run = viewRun(store, id)!;
    const jobs = run.jobs.map((j) => ({ ...j, needs: store.jobs.get(j.id)?.plan.needs ?? [] }));
    const canWrite = (await access.permission(viewer, record)) === 'write';
    sendPage(ctx, 200, `Run ${run.repository}`, () => runPage({ run, jobs, author: authorOf(deps, record), artifacts: store.artifacts.list(id), canWrite, csrf: chrome(ctx, viewer).csrf }), {
      page: 'run',
      chrome: chrome(ctx, viewer),
      ...(run.state === 'completed' ? {} : { refreshSeconds: 5 }),
    });
  });

  router.get('/jobs/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const record = validId(id) ? store.jobs.get(id) : undefined;
    if (!record) return sendNotFound(ctx, `Job ${id}`);
    const viewer = await access.requireRead(ctx, store.runs.get(record.runId)!);
    // Final state read before the lines: if it is final, the lines read next are all there are.
    const final = isTerminalJobState(record.state);
    const lines = store.logReader.read(id, { limit: PAGE_LINES });
    const lastSeq = store.logReader.lastSeq(id);
    const next = lines.length ? lines[lines.length - 1]!.seq + 1 : 1;
    const job = viewJobRecord(store, id)!;
    const live = !final;
    const canWrite = (await access.permission(viewer, store.runs.get(record.runId)!)) === 'write';
    sendPage(ctx, 200, job.name, () => jobPage({ job, runId: record.runId, lines, next, lastSeq, live, artifacts: store.artifacts.list(record.runId), canWrite, csrf: chrome(ctx, viewer).csrf }), {
      page: 'job',
      chrome: chrome(ctx, viewer),
    });
  });

  router.get('/jobs/:id/log.txt', async (ctx) => {
    const id = ctx.params.id ?? '';
    const record = validId(id) ? store.jobs.get(id) : undefined;
    if (!record) throw new HeliosError('E_JOB_NOT_FOUND', `job ${id} does not exist`);
    await access.requireRead(ctx, store.runs.get(record.runId)!);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="job-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.log"`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = Readable.from(rawLog(deps, id));
  });

  // Actions: forms from the pages (or the admin token).
  const act = async (ctx: Koa.Context, run: RunRecord): Promise<{ viewer: Viewer; form: URLSearchParams; who: string }> => {
    const form = await readFormBody(ctx);
    const viewer = access.viewer(ctx);
    checkCsrf(ctx, viewer, form.get('_csrf') ?? (ctx.get('x-csrf-token') || undefined), deps.ownOrigins(ctx));
    await access.requireWrite(ctx, run);
    return { viewer, form, who: viewer.kind === 'user' ? viewer.session.login : 'the admin token' };
  };
  const runOf = (id: string) => {
    const run = validId(id) ? store.runs.get(id) : undefined;
    if (!run) throw new HeliosError('E_RUN_NOT_FOUND', `run ${id} does not exist`);
    return run;
  };
  const jobOf = (id: string) => {
    const job = validId(id) ? store.jobs.get(id) : undefined;
    if (!job) throw new HeliosError('E_JOB_NOT_FOUND', `job ${id} does not exist`);
    return job;
  };
  const seeOther = (ctx: Koa.Context, path: string) => {
    ctx.status = 303;
    ctx.redirect(path);
  };

  router.post('/runs/:id/rerun', async (ctx) => {
    const run = runOf(ctx.params.id ?? '');
    const { form, who } = await act(ctx, run);
    if (run.state !== 'completed') throw new HeliosError('E_CONFLICT', `run ${run.id} is still running; cancel it or wait for it to finish before re-running it`);
    const scope = form.get('scope') === 'failed' ? 'failed' : 'all';
    const created = deps.orchestrator.rerunRun(run.id, scope);
    deps.logger.info('run re-run from the web UI', { runId: run.id, newRunId: created.id, scope, by: who });
    seeOther(ctx, `/runs/${encodeURIComponent(created.id)}`);
  });

  router.post('/runs/:id/cancel', async (ctx) => {
    const run = runOf(ctx.params.id ?? '');
    const { who } = await act(ctx, run);
    deps.orchestrator.cancelRun(run.id, `cancelled by ${who} in the web UI`);
    seeOther(ctx, `/runs/${encodeURIComponent(run.id)}`);
  });

  router.post('/jobs/:id/rerun', async (ctx) => {
    const job = jobOf(ctx.params.id ?? '');
    await act(ctx, runOf(job.runId));
    if (!isTerminalJobState(job.state)) throw new HeliosError('E_JOB_NOT_FINAL', `job ${job.id} is still ${job.state}; cancel it or wait for it to finish before re-running it`);
    const created = deps.orchestrator.rerunJob(job.id);
    seeOther(ctx, `/runs/${encodeURIComponent(created.id)}`);
  });

  router.post('/jobs/:id/cancel', async (ctx) => {
    const job = jobOf(ctx.params.id ?? '');
    const { who } = await act(ctx, runOf(job.runId));
    if (isTerminalJobState(job.state)) throw new HeliosError('E_JOB_FINAL', `job ${job.id} is already ${job.state}; there is nothing to cancel`);
    deps.orchestrator.cancelJob(job.id, `cancelled by ${who} in the web UI`);
    seeOther(ctx, `/jobs/${encodeURIComponent(job.id)}`);
  });

  router.get('/approvals/:id', async (ctx) => {
    const id = ctx.params.id ?? '';
    const approval = validId(id) ? store.approvals.get(id) : undefined;
    if (!approval) return sendNotFound(ctx, `Approval ${id}`);
    const viewer = await access.requireRead(ctx, { id, forge: approval.forge, repo: approval.repo });
    const canWrite = viewer.kind === 'user' && (await access.permission(viewer, { forge: approval.forge, repo: approval.repo })) === 'write';
    sendPage(ctx, 200, 'Approval', () => approvalPage(approval, canWrite, chrome(ctx, viewer).csrf), { page: 'approval', chrome: chrome(ctx, viewer) });
  });

  router.post('/approvals/:id/approve', async (ctx) => {
    const id = ctx.params.id ?? '';
    const approval = validId(id) ? store.approvals.get(id) : undefined;
    if (!approval) throw new HeliosError('E_NOT_FOUND', `approval ${id} does not exist`);
    const { viewer } = await act(ctx, { id, forge: approval.forge, repo: approval.repo } as RunRecord);
    if (viewer.kind !== 'user') throw new HeliosError('E_FORBIDDEN', 'approving runs a fork on behalf of a forge user: sign in with the forge to approve');
    // Through the inbox like the forge's own approve event, so the planner checks the forge permission itself.
    const event: ForgeEvent = { kind: 'approve', forge: approval.forge, deliveryId: `ui-approve-${randomUUID()}`, repo: approval.repo, target: approval.id, sender: viewer.session.login, headSha: approval.headSha };
    const { record } = store.inbox.receive({ forge: approval.forge, deliveryId: event.deliveryId, kind: 'approve', payload: event });
    const planned = await deps.planner.process(record);
    seeOther(ctx, planned.run ? `/runs/${encodeURIComponent(planned.run.id)}` : `/approvals/${encodeURIComponent(id)}`);
  });
}

/** The event's sender (push, re-run) or the pull request's author, when the delivery says. */
function authorOf(deps: UiDeps, run: RunRecord): string | null {
  if (run.inboxId === null) return null;
  const payload = deps.store.inbox.get(run.inboxId)?.payload as { sender?: unknown; pr?: { author?: unknown }; pullRequest?: { author?: unknown } } | undefined;
  const who = payload?.sender ?? payload?.pr?.author ?? payload?.pullRequest?.author;
  return typeof who === 'string' ? who : null;
}

async function* rawLog(deps: UiDeps, jobId: string): AsyncGenerator<string> {
  let from = 1;
  for (;;) {
    const lines = deps.store.logReader.read(jobId, { from, limit: 5000 });
    if (!lines.length) return;
    yield lines.map((l) => `${l.text}\n`).join('');
    from = lines[lines.length - 1]!.seq + 1;
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Paths of pages, runs, jobs and logs (API and pages) the reader must be allowed to read, checked
 * when sign-in is configured: each names a run or a job, whose run's repository decides.
 */
const RUN_PATH = /^\/(?:api\/)?runs\/([^/]+)/;
const JOB_PATH = /^\/(?:api\/)?jobs\/([^/]+)/;
export function readGuard(deps: UiDeps): Koa.Middleware {
  return async (ctx, next) => {
    if (deps.access.signInProviders.size === 0 || ctx.method !== 'GET') return next();
    if (ctx.path === '/api/runs' && deps.access.viewer(ctx).kind !== 'admin') {
      throw new HeliosError('E_UNAUTHORIZED', 'with sign-in configured (ui.signIn), listing runs over the API needs the admin token; the runs page lists what you may read');
    }
    const runId = RUN_PATH.exec(ctx.path)?.[1];
    const jobId = JOB_PATH.exec(ctx.path)?.[1];
    if (ctx.path.startsWith('/api/')) {
      const decode = (s: string) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return '';
        }
      };
      const run = runId ? deps.store.runs.get(decode(runId)) : jobId ? deps.store.runs.get(deps.store.jobs.get(decode(jobId))?.runId ?? '') : undefined;
      if (run) await deps.access.requireRead(ctx, run);
    }
    return next();
  };
}

/** Errors on the UI's own paths (pages, forms) read as a page, not as the API's JSON. */
export const uiErrors: Koa.Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    if (ctx.path.startsWith('/api/') || !ctx.get('accept').includes('text/html') || ctx.respond === false) throw err;
    const status = httpStatusOf(err);
    if (status >= 500) throw err;
    const code = isHeliosError(err) ? err.code : 'E_INTERNAL';
    const message = isHeliosError(err) ? err.message : 'internal error';
    sendPage(ctx, status, 'Not allowed', () => html`<h1>${status === 401 ? 'Sign in needed' : status === 403 ? 'Not allowed' : 'That did not work'}</h1><p class="error"><code>${code}</code> ${message}</p>${status === 401 ? html`<p><a class="signin button" href="/auth/signin?return=${encodeURIComponent(ctx.path)}">Sign in</a></p>` : ''}<p><a href="/">Runs</a></p>`);
  }
};
