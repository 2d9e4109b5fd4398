import type { Context } from 'koa';
import { HeliosError } from '@helios-ci/sdk';
import { tokenMatches } from '../../api/requireAdmin.js';
import type { Viewer } from './access.js';

/**
 * Every mutating request made with the session cookie carries the session's CSRF token (a hidden
 * form field `_csrf` or the `X-CSRF-Token` header) and, when the browser sends one, an Origin of
 * this server. The admin token travels in a header no other site can set, so it needs neither.
 */
export function checkCsrf(ctx: Context, viewer: Viewer, presented: string | undefined, ownOrigins: readonly string[]): void {
  if (viewer.kind === 'admin') return;
  const origin = ctx.get('origin');
  if (origin && !ownOrigins.includes(origin)) throw new HeliosError('E_CSRF_INVALID', `a request from ${origin} may not change anything here; use Helios's own pages`);
  if (viewer.kind !== 'user' || !presented || !tokenMatches(viewer.session.csrf, presented)) {
    throw new HeliosError('E_CSRF_INVALID', 'the request carries no valid CSRF token for this session; reload the page and try again');
  }
}

/** Safe local path to go back to after signing in (never another host). */
export function localPath(value: unknown): string {
  const s = typeof value === 'string' ? value : '';
  return /^\/(?![/\\])[^\s]*$/.test(s) ? s : '/';
}

/** This server's origin as the request reached it (Koa 3's `ctx.origin` is the Origin header instead). */
export function selfOrigin(ctx: { protocol: string; host: string }): string {
  return `${ctx.protocol}://${ctx.host}`;
}
