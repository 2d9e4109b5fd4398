import { createHash, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import { HeliosError } from '@helios-ci/sdk';
import { ADMIN_TOKEN_ENV, ADMIN_TOKEN_FILE } from './adminToken.js';

/** Hashing both sides first gives equal-length buffers, so the compare time says nothing about the token. */
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Koa middleware: `Authorization: Bearer <admin token>` or 401 with a message that says how to get one. */
export function requireAdmin(token: string): Koa.Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !tokenMatches(token, m[1]!)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="helios"');
      const what = header ? 'the admin token sent is wrong' : 'this endpoint needs the admin token';
      throw new HeliosError(
        'E_UNAUTHORIZED',
        `${what}: send "Authorization: Bearer <token>" with the value of ${ADMIN_TOKEN_ENV} on the server, or (when that is unset) the contents of <server.dataDir>/${ADMIN_TOKEN_FILE}`,
      );
    }
    await next();
  };
}
