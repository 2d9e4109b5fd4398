import type { Context } from 'koa';
import { HeliosError } from '@helios-ci/sdk';
import { readRawBody } from '../rawBody.js';

const MAX_BODY = 16 * 1024;

/** A small `application/x-www-form-urlencoded` body (the UI's forms), or empty params for other types. */
export async function readFormBody(ctx: Context): Promise<URLSearchParams> {
  const type = ctx.get('content-type');
  if (ctx.req.headers['content-length'] === '0') return new URLSearchParams();
  const body = await readRawBody(ctx.req, MAX_BODY);
  if (type && !/^application\/x-www-form-urlencoded\b/i.test(type)) {
    if (body.length === 0) return new URLSearchParams();
    throw new HeliosError('E_BODY_INVALID', `send the form as application/x-www-form-urlencoded (got ${type})`);
  }
  return new URLSearchParams(body.toString('utf8'));
}
