import type { Context } from 'koa';
import { HeliosError } from '@helios-ci/sdk';
import { readRawBody } from '../rawBody.js';

/** API request bodies are small JSON objects; anything bigger is a mistake or an attack. */
const MAX_BODY = 64 * 1024;

/** Reads the request body as a JSON object, or throws E_BODY_INVALID (400) saying what is wrong. */
export async function readJsonBody(ctx: Context): Promise<unknown> {
  const type = ctx.get('content-type');
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HeliosError('E_BODY_INVALID', `the request body must be JSON (Content-Type: application/json), not ${type}`);
  }
  const raw = await readRawBody(ctx.req, MAX_BODY);
  if (raw.length === 0) throw new HeliosError('E_BODY_INVALID', 'the request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new HeliosError('E_BODY_INVALID', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HeliosError('E_BODY_INVALID', 'the request body must be a JSON object');
  return value;
}
