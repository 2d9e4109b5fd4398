import { createHash, randomBytes } from 'node:crypto';
import type Router from '@koa/router';
import { HeliosError } from '@helios-ci/sdk';
import { html } from '../html.js';
import { sendPage } from '../layout.js';
import { readFormBody } from '../formBody.js';
import { SESSION_COOKIE, type Access } from './access.js';
import { setCookie } from './cookies.js';
import { checkCsrf, localPath, selfOrigin } from './csrf.js';
import type { SessionStore } from './sessionStore.js';

const STATE_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

export interface AuthRouteOptions {
  access: Access;
  sessions: SessionStore;
  /** server.publicUrl, or null to use the request's own origin. */
  publicUrl: string | null;
  sessionTtlMs: number;
  ownOrigins(ctx: { protocol: string; host: string }): string[];
}

/**
 * GET  /auth/signin                 → the sign-in choices (straight to the forge when there is one)
 * GET  /auth/:forge/login?return=P  → 302 to the forge's authorize page (state + PKCE)
 * GET  /auth/:forge/callback        → trades the code for a token, starts a session, 302 back to P
 * POST /auth/signout (CSRF)         → ends the session
 */
export function mountAuthRoutes(router: Router, o: AuthRouteOptions): void {
  const pending = new Map<string, { forge: string; verifier: string; returnTo: string; at: number }>();
  const base = (ctx: { protocol: string; host: string }) => (o.publicUrl ?? selfOrigin(ctx)).replace(/\/+$/, '');
  const secure = (ctx: { protocol: string; host: string }) => base(ctx).startsWith('https:');

  router.get('/auth/signin', (ctx) => {
    const providers = [...o.access.signInProviders.values()];
    const ret = localPath(ctx.query.return);
    if (providers.length === 1) return ctx.redirect(`/auth/${encodeURIComponent(providers[0]!.forge)}/login?return=${encodeURIComponent(ret)}`);
    sendPage(ctx, providers.length ? 200 : 404, 'Sign in', () =>
      providers.length
        ? html`<h1>Sign in</h1><ul class="plain">${providers.map((p) => html`<li><a class="button" href="/auth/${encodeURIComponent(p.forge)}/login?return=${encodeURIComponent(ret)}">Sign in with ${p.forge} (${p.type})</a></li>`)}</ul>`
        : html`<h1>Sign in</h1><p>This server has no sign-in configured (ui.signIn in helios.yaml).</p>`,
    );
  });

  router.get('/auth/:forge/login', (ctx) => {
    const provider = o.access.signInProviders.get(String(ctx.params.forge));
    if (!provider) throw new HeliosError('E_NOT_FOUND', `no sign-in is configured for ${String(ctx.params.forge)}; see ui.signIn in helios.yaml`);
    const now = Date.now();
    for (const [k, v] of pending) if (now - v.at > STATE_TTL_MS || pending.size > MAX_PENDING) pending.delete(k);
    const state = randomBytes(24).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    pending.set(state, { forge: provider.forge, verifier, returnTo: localPath(ctx.query.return), at: now });
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    ctx.redirect(provider.authorizeUrl({ state, redirectUri: `${base(ctx)}/auth/${encodeURIComponent(provider.forge)}/callback`, challenge }));
  });

  router.get('/auth/:forge/callback', async (ctx) => {
    const forge = String(ctx.params.forge);
    const provider = o.access.signInProviders.get(forge);
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const started = pending.get(state);
    pending.delete(state);
    if (!provider || !started || started.forge !== forge || Date.now() - started.at > STATE_TTL_MS) {
      throw new HeliosError('E_SIGN_IN_FAILED', 'this sign-in link is unknown, used or older than 10 minutes; start again from "Sign in"');
    }
    if (typeof ctx.query.error === 'string') throw new HeliosError('E_SIGN_IN_FAILED', `the forge did not sign you in: ${ctx.query.error}; start again from "Sign in"`);
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    if (!code) throw new HeliosError('E_SIGN_IN_FAILED', 'the forge sent no code back; start again from "Sign in"');
    const token = await provider.exchange({ code, redirectUri: `${base(ctx)}/auth/${encodeURIComponent(forge)}/callback`, verifier: started.verifier });
    const login = await provider.login(token);
    const { id } = o.sessions.create({ provider: forge, login, token, ttlMs: o.sessionTtlMs });
    setCookie(ctx, SESSION_COOKIE, id, { maxAgeSeconds: o.sessionTtlMs / 1000, secure: secure(ctx) });
    ctx.redirect(started.returnTo);
  });

  router.post('/auth/signout', async (ctx) => {
    const viewer = o.access.viewer(ctx);
    const form = await readFormBody(ctx);
    checkCsrf(ctx, viewer, form.get('_csrf') ?? ctx.get('x-csrf-token'), o.ownOrigins(ctx));
    if (viewer.kind === 'user') o.sessions.delete(viewer.sessionId);
    setCookie(ctx, SESSION_COOKIE, '', { maxAgeSeconds: 0, secure: secure(ctx) });
    ctx.status = 303;
    ctx.redirect('/');
  });
}
