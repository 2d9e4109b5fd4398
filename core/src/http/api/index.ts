import { join } from 'node:path';
import type Koa from 'koa';
import Router from '@koa/router';
import { HeliosError } from '@helios-ci/sdk';
import type { Kernel } from '../../kernel/kernel.js';
import { AgentServiceToken, BlobsToken, OrchestratorToken, RunPlannerToken, StoreToken } from '../../services/coreTokens.js';
import { HeliosMetrics } from '../metrics/heliosMetrics.js';
import { mountMetricsRoute } from '../metrics/metricsRoute.js';
import { mountUiRoutes, readGuard as signInReadGuard, uiErrors, type UiDeps } from '../ui/uiRoutes.js';
import { mountAssetRoutes } from '../ui/assets.js';
import { mountAuthRoutes } from '../ui/auth/authRoutes.js';
import { createAccess } from '../ui/auth/createAccess.js';
import { selfOrigin } from '../ui/auth/csrf.js';
import { ADMIN_TOKEN_ENV, loadAdminToken } from './adminToken.js';
import type { ApiDeps } from './deps.js';
import { mountJobRoutes } from './jobRoutes.js';
import { mountArtifactRoutes } from './artifactRoutes.js';
import { RepoMirrors } from './repoMirrors.js';
import { requireAdmin } from './requireAdmin.js';
import { mountRunRoutes } from './runRoutes.js';
import { StreamSlots } from './streamSlots.js';

/** Paths that show runs, jobs or logs (API and pages): behind the admin token with server.requireAuthForLogs. */
const PRIVATE_READS = /^\/+(api\/+)?(runs|jobs)(\/|$)/i;

export interface ServerHttp {
  /** For createHttpApp's `middleware` option. */
  middleware: Koa.Middleware[];
  /** Lines for the serve log (where the admin token is). */
  notices: string[];
  close(): void;
}

/**
 * The REST API, the HTML pages and /metrics of `helios serve`, over the started kernel's core
 * services. The admin token is added to the kernel's redactor so no log line can print it.
 */
export function createServerHttp(kernel: Kernel, env: NodeJS.ProcessEnv = process.env): ServerHttp {
  const token = loadAdminToken(kernel.dataDir, env);
  kernel.redactor.add(token.value);
  const deps: ApiDeps = {
    store: kernel.resolve(StoreToken),
    orchestrator: kernel.resolve(OrchestratorToken),
    planner: kernel.resolve(RunPlannerToken),
    events: kernel.events,
    mirrors: new RepoMirrors(join(kernel.dataDir, 'mirrors')),
    adminToken: token.value,
    artifacts: kernel.has(BlobsToken) ? kernel.resolve(BlobsToken).artifacts : null,
    logger: kernel.logger.child('api'),
    streamSlots: new StreamSlots({ perJob: kernel.config.limits.logStreamsPerJob, perClient: kernel.config.limits.logStreamsPerClient }),
  };
  const agents = kernel.resolve(AgentServiceToken);
  const metrics = new HeliosMetrics({ store: deps.store, events: kernel.events, agentSessions: () => agents.activeJobs().filter((j) => j.connected).length });

  const router = new Router();
  mountRunRoutes(router, deps);
  mountArtifactRoutes(router, deps);
  mountJobRoutes(router, deps);
  const { access, sessions } = createAccess(kernel, deps.store, deps.adminToken, env);
  const publicUrl = kernel.config.server.publicUrl ?? null;
  const ownOrigins = (ctx: { protocol: string; host: string }) => [selfOrigin(ctx), ...(publicUrl ? [new URL(publicUrl).origin] : [])];
  const uiDeps: UiDeps = { ...deps, access, ownOrigins };
  mountAssetRoutes(router);
  mountAuthRoutes(router, { access, sessions, publicUrl, sessionTtlMs: kernel.config.ui.sessionHours * 3_600_000, ownOrigins });
  mountUiRoutes(router, uiDeps);
  mountMetricsRoute(router, metrics);

  const notices =
    token.source === 'env'
      ? [`admin token: from ${ADMIN_TOKEN_ENV}`]
      : [`admin token: ${token.path}${token.created ? ' (created now, mode 600)' : ''}; send it as "Authorization: Bearer <token>"`];
  for (const w of token.warnings) notices.push(`warning: ${w}`);

  const apiNotFound: Koa.Middleware = async (ctx, next) => {
    await next();
    // Unknown API paths answer in the API's JSON error shape, not Koa's plain "Not Found".
    if (ctx.respond !== false && ctx.status === 404 && ctx.body === undefined && ctx.path.startsWith('/api/')) {
      throw new HeliosError('E_NOT_FOUND', `no API endpoint ${ctx.method} ${ctx.path}; see the serve documentation for the routes`);
    }
  };
  // server.requireAuthForLogs: everything that shows a run, a job or a log needs the admin token.
  const admin = requireAdmin(deps.adminToken);
  const readGuard: Koa.Middleware = async (ctx, next) => {
    // With sign-in configured the UI's guard decides (signed-in readers of private repositories get in).
    if (kernel.config.server.requireAuthForLogs && access.signInProviders.size === 0 && PRIVATE_READS.test(ctx.path)) return admin(ctx, next);
    await next();
  };
  const readGuardUi = signInReadGuard(uiDeps);
  // The router's types demand ctx.params/ctx.router up front; it adds them itself when it runs.
  const routerMiddleware = [router.routes(), router.allowedMethods()] as unknown as Koa.Middleware[];
  return { middleware: [apiNotFound, uiErrors, readGuard, readGuardUi, ...routerMiddleware], notices, close: () => metrics.close() };
}
