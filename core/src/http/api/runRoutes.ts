import type Router from '@koa/router';
import { HeliosError } from '@helios-ci/sdk';
import { viewRun } from '../../orchestrator/runView.js';
import type { ApiDeps } from './deps.js';
import { readJsonBody } from './jsonBody.js';
import { requireAdmin } from './requireAdmin.js';
import { summarizeRun } from './runSummary.js';
import { CreateRunBody, IdParams, RunListQuery } from './schemas.js';
import { submitRun } from './submitRun.js';
import { parseInput } from './validation.js';

/**
 * GET  /api/runs?limit=N&before=<run id>  → 200 { runs: RunSummary[], next: string | null }
 * GET  /api/runs/:id                       → 200 RunView
 * POST /api/runs  {repository, ref, event?, inputs?, workflows?}  (admin) → 201 RunView
 */
export function mountRunRoutes(router: Router, deps: ApiDeps): void {
  router.get('/api/runs', (ctx) => {
    const q = parseInput(RunListQuery, { ...ctx.query }, 'E_QUERY_INVALID', 'the query', { convert: true });
    const runs = deps.store.runs.listAfter(q.before ?? null, q.limit);
    if (!runs) throw new HeliosError('E_RUN_NOT_FOUND', `run ${q.before} (the "before" cursor) does not exist; pass the "next" value of the previous page`);
    ctx.body = { runs: runs.map((r) => summarizeRun(deps.store, r)), next: runs.length === q.limit ? runs[runs.length - 1]!.id : null };
  });

  router.get('/api/runs/:id', (ctx) => {
    const { id } = parseInput(IdParams, ctx.params, 'E_PARAMS_INVALID', 'the run id');
    const view = viewRun(deps.store, id);
    if (!view) throw new HeliosError('E_RUN_NOT_FOUND', `run ${id} does not exist; GET /api/runs lists the runs`);
    ctx.body = view;
  });

  router.post('/api/runs', requireAdmin(deps.adminToken), async (ctx) => {
    const body = parseInput(CreateRunBody, await readJsonBody(ctx), 'E_RUN_REQUEST_INVALID', 'the request body');
    const run = await submitRun(deps, body);
    ctx.status = 201;
    ctx.set('Location', `/api/runs/${run.id}`);
    ctx.body = viewRun(deps.store, run.id);
  });
}
