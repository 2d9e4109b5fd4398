import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { html, raw, type SafeHtml } from './html.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.6rem 1.2rem;font-weight:600}
main{max-width:72rem;margin:0 auto;padding:1rem 1.2rem}
h1{font-size:1.35rem;margin:.4rem 0}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.meta{color:#5a6272}.meta span{margin-right:1rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:.35rem .6rem;border-bottom:1px solid #e3e6eb;text-align:left}
.num{width:2.5rem;color:#5a6272}.dur{width:7rem;text-align:right;font-variant-numeric:tabular-nums}
.state{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85em;background:#e3e6eb}
.state.succeeded,.state.success{background:#d3f3da;color:#11612a}.state.failed,.state.failure,.state.errored,.state.timed_out{background:#fbd8d8;color:#8a1616}
.state.running,.state.provisioning,.state.queued,.state.started{background:#fdf0c8;color:#7a5800}.state.cancelled,.state.skipped{background:#e3e6eb;color:#444}
ul.annotations{padding-left:1.2rem}.annotations .failure{color:#8a1616}.annotations .warning{color:#7a5800}
#log{background:#0f131a;color:#d7dce5;font:12.5px/1.45 ui-monospace,monospace;padding:.6rem .8rem;border-radius:4px;overflow:auto;max-height:70vh;white-space:pre-wrap;word-break:break-all}
#log .stderr{color:#ffb4a8}#log .system{color:#8fb3ff}#log .step{color:#9aa3b2;font-weight:600;margin-top:.3rem}
.empty{color:#8a93a3;font-style:italic}
`;

/**
 * The page shell. The Content-Security-Policy allows only this page's own inline script and style
 * (by nonce) and connections to this server, so even a log line that slipped past escaping could
 * not run script or send data elsewhere.
 */
export function sendPage(ctx: Context, status: number, title: string, body: (nonce: string) => SafeHtml, options: { refreshSeconds?: number } = {}): void {
  const nonce = randomBytes(16).toString('base64');
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Content-Security-Policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''}
<title>${title} · Helios CI</title>
<style nonce="${nonce}">${raw(STYLE)}</style>
</head>
<body>
<header><span>Helios CI</span></header>
<main>
${body(nonce)}
</main>
</body>
</html>
`.text;
}
