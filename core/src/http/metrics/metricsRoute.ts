import type Router from '@koa/router';
import { CONTENT_TYPE } from './exposition.js';
import type { HeliosMetrics } from './heliosMetrics.js';

/** GET /metrics: Prometheus text exposition 0.0.4 (unauthenticated, like most exporters: no secrets in it). */
export function mountMetricsRoute(router: Router, metrics: HeliosMetrics): void {
  router.get('/metrics', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = CONTENT_TYPE;
    ctx.body = metrics.render();
  });
}
