import type { Context } from 'koa';
import { assetVersion } from './assets.js';
import { html, type SafeHtml } from './html.js';

/** What the page header shows about the reader. */
export interface Chrome {
  /** The signed-in login, if any. */
  login?: string | undefined;
  /** This session's CSRF token (forms carry it). */
  csrf?: string | undefined;
  /** True when sign-in is configured. */
  signIn?: boolean;
  /** The page to come back to after signing in. */
  path?: string;
}

/** The Content-Security-Policy of every page: scripts and styles from this server only, nothing inline. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The page shell: the bundled stylesheet and script (served by this server, no inline code at all,
 * so even a log line that slipped past escaping could not run), the header with sign-in state, and
 * `data-page` telling the client which page it enhances. Everything works without the script for
 * reading; the script adds live updates, the virtualised log and keyboard navigation.
 */
export function sendPage(ctx: Context, status: number, title: string, body: () => SafeHtml, options: { refreshSeconds?: number; page?: string; chrome?: Chrome } = {}): void {
  const c = options.chrome ?? {};
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${options.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${options.refreshSeconds}"></noscript>` : ''}
<title>${title} · Helios CI</title>
<link rel="stylesheet" href="/ui/app.css?v=${assetVersion('app.css')}">
<script type="module" src="/ui/app.js?v=${assetVersion('app.js')}"></script>
</head>
<body data-page="${options.page ?? 'other'}"${c.csrf ? html` data-csrf="${c.csrf}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/">Helios CI</a><nav><a href="/">Runs</a></nav><span class="grow"></span>
<button type="button" id="theme-toggle" class="ghost" hidden title="Switch dark/light theme (t)">◐</button>
${c.login
  ? html`<span class="who">${c.login}</span><form method="post" action="/auth/signout" class="inline"><input type="hidden" name="_csrf" value="${c.csrf ?? ''}"><button type="submit" class="ghost">Sign out</button></form>`
  : c.signIn
    ? html`<a class="signin" href="/auth/signin?return=${encodeURIComponent(c.path ?? '/')}">Sign in</a>`
    : ''}
</header>
<main id="main">
${body()}
</main>
</body>
</html>
`.text;
}
