import Koa from 'koa';
import { isHeliosError, type HttpRoute, type Logger } from '@helios-ci/sdk';
import { httpStatusOf } from './errorStatus.js';
import { BodyBudget } from './hookBudget.js';
import { readRawBody } from './rawBody.js';

const DEFAULT_MAX_BODY = 25 * 1024 * 1024;

export interface AppOptions {
  routes: { instance: string; route: HttpRoute }[];
  logger: Logger;
  redact(text: string): string;
  /** Extra middleware mounted after the plugin routes (REST API, UI), in order. */
  middleware?: Koa.Middleware[];
  /** Bounds on plugin-route (webhook) bodies: bytes buffered at once over all requests, time to send one. */
  hookLimits?: { bytesInFlight: number; bodyTimeoutMs: number };
}

/** The client went away (or stalled and was dropped): nobody to answer, and nothing for the error log. */
function isClientGone(ctx: Koa.Context, err: unknown): boolean {
  if (isHeliosError(err)) return err.code === 'E_CLIENT_ABORTED' || err.code === 'E_REQUEST_TIMEOUT';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // Not `req.destroyed`: a request whose body was read in full is destroyed too (autoDestroy).
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || ctx.req.socket?.destroyed === true;
}

interface CompiledRoute {
  route: HttpRoute;
  instance: string;
  pattern: RegExp;
  names: string[];
}

function compile(instance: string, route: HttpRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, instance, pattern: new RegExp(`^${source}/?$`), names };
}

/** The Koa app of `helios serve`: health check, plugin routes (webhooks), then core middleware. */
export function createHttpApp(options: AppOptions): Koa {
  const app = new Koa();
  const compiled = options.routes.map((r) => compile(r.instance, r.route));
  const budget = options.hookLimits ? new BodyBudget(options.hookLimits.bytesInFlight) : undefined;
  const bodyTimeoutMs = options.hookLimits?.bodyTimeoutMs;

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (isClientGone(ctx, err)) {
        options.logger.debug('client went away', { method: ctx.method, path: ctx.path, code: isHeliosError(err) ? err.code : (err as NodeJS.ErrnoException).code });
        ctx.status = httpStatusOf(err);
        ctx.body = { error: { code: isHeliosError(err) ? err.code : 'E_CLIENT_ABORTED', message: 'the request was not received in full' } };
        return;
      }
      const status = httpStatusOf(err);
      const code = isHeliosError(err) ? err.code : 'E_INTERNAL';
      const message = options.redact(isHeliosError(err) ? err.message : 'internal error; see the server log');
      if (status >= 500) options.logger.error('request failed', { method: ctx.method, path: ctx.path, error: err });
      ctx.status = status;
      if (isHeliosError(err) && err.retryAfterMs !== undefined) ctx.set('Retry-After', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
      ctx.body = { error: { code, message } };
    }
  });

  app.use(async (ctx, next) => {
    if (ctx.path === '/healthz' && ctx.method === 'GET') {
      ctx.body = { status: 'ok' };
      return;
    }
    for (const c of compiled) {
      const match = c.pattern.exec(ctx.path);
      if (!match || c.route.method !== ctx.method) continue;
      const rawBody = await readRawBody(ctx.req, c.route.maxBodyBytes ?? DEFAULT_MAX_BODY, {
        ...(budget ? { budget } : {}),
        ...(bodyTimeoutMs !== undefined ? { timeoutMs: bodyTimeoutMs } : {}),
      });
      const params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(ctx.req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const res = await c.route.handler({ method: ctx.method, path: ctx.path, headers, query: ctx.query as Record<string, string>, params, rawBody });
      ctx.status = res.status;
      for (const [k, v] of Object.entries(res.headers ?? {})) ctx.set(k, v);
      if (res.body !== undefined) ctx.body = res.body;
      return;
    }
    await next();
  });

  for (const mw of options.middleware ?? []) app.use(mw);
  return app;
}
