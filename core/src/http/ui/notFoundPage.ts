import type { Context } from 'koa';
import { html } from './html.js';
import { sendPage } from './layout.js';

export function sendNotFound(ctx: Context, what: string): void {
  sendPage(ctx, 404, 'Not found', () => html`<h1>Not found</h1><p>${what} does not exist. It may have been mistyped, or the run was removed.</p>`);
}
