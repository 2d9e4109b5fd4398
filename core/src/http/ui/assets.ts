import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';

/** Where the build (core/scripts/bundle.mjs) writes the browser bundle: beside this module in dist. */
const DIR = new URL('./assets/', import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const load = (name: string, type: string): Asset | null => {
  try {
    const body = readFileSync(new URL(name, DIR));
    return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
  } catch {
    return null;
  }
};

const ASSETS: Record<string, Asset | null> = { 'app.js': load('app.js', 'application/javascript; charset=utf-8'), 'app.css': load('app.css', 'text/css; charset=utf-8') };

/** `?v=` for the page's links: a new build is a new URL, so the files can be cached for a year. */
export function assetVersion(name: 'app.js' | 'app.css'): string {
  return ASSETS[name]?.etag.slice(1, -1) ?? 'missing';
}

/** GET /ui/app.js, /ui/app.css: the bundled client (no CDN; the server may have no internet). */
export function mountAssetRoutes(router: Router): void {
  router.get('/ui/:name', (ctx) => {
    const asset = ASSETS[String(ctx.params.name)];
    if (!asset) {
      ctx.status = 404;
      ctx.body = 'no such asset; was the client bundled (npm run build)?';
      return;
    }
    ctx.set('ETag', asset.etag);
    ctx.set('Cache-Control', ctx.query.v ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.get('if-none-match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  });
}
