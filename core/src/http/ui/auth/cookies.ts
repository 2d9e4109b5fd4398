import type { Context } from 'koa';

/** Set-Cookie written by hand: Koa's cookie jar refuses `Secure` on the plain-HTTP hop behind a TLS proxy. */
export function setCookie(ctx: Context, name: string, value: string, o: { maxAgeSeconds: number; secure: boolean }): void {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`];
  if (o.secure) parts.push('Secure');
  ctx.append('Set-Cookie', parts.join('; '));
}
