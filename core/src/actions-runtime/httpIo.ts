/** Small request/response helpers of the runtime service (JSON bodies, Twirp and Azure-style errors). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeliosError, isHeliosError } from '@helios-ci/sdk';

const MAX_JSON_BYTES = 1024 * 1024;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > MAX_JSON_BYTES) throw new HeliosError('E_USAGE', `the request body is over ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (n === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HeliosError('E_USAGE', 'the request body is not a JSON object');
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The HTTP status of an error (HeliosError's registry; anything else is ours: 500). */
export function statusOf(err: unknown): number {
  return isHeliosError(err) ? err.httpStatus : 500;
}

export function messageOf(err: unknown): string {
  return isHeliosError(err) ? err.message : 'internal error in the Helios actions runtime service (see the server log)';
}

const TWIRP_CODES: Record<number, string> = { 400: 'invalid_argument', 401: 'unauthenticated', 403: 'permission_denied', 404: 'not_found', 409: 'already_exists', 412: 'failed_precondition', 413: 'out_of_range', 422: 'invalid_argument' };

/**
 * Twirp's error body. 413 goes out as 400: Twirp's resource_exhausted is 429, which the toolkit
 * retries — an over-limit upload would be retried for nothing.
 */
export function sendTwirpError(res: ServerResponse, err: unknown): void {
  const status = statusOf(err);
  const code = TWIRP_CODES[status] ?? (status === 503 ? 'unavailable' : 'internal');
  sendJson(res, status === 413 || status === 422 ? 400 : status, { code, msg: messageOf(err), ...(isHeliosError(err) ? { meta: { helios_code: err.code } } : {}) });
}

/** Azure Blob's error shape, which the Azure SDK in the toolkit parses. */
export function sendBlobError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusOf(err);
  const code = isHeliosError(err) ? err.code : 'InternalError';
  const text = `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(messageOf(err))}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text), 'x-ms-error-code': code });
  res.end(text);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function str(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  return typeof v === 'string' ? v : '';
}

/** int64 fields arrive as JSON strings (protobuf JSON); numbers are accepted too. */
export function int(body: Record<string, unknown>, field: string): number | null {
  const v = body[field];
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isSafeInteger(n) ? n : null;
}

/** google.protobuf wrappers (StringValue, Int64Value) appear in JSON as the bare value. */
export function wrapped(body: Record<string, unknown>, field: string): unknown {
  const v = body[field];
  return v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
}

export function contentLength(req: IncomingMessage): number | null {
  const v = req.headers['content-length'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}
