import type { IncomingMessage } from 'node:http';
import { HeliosError } from '@helios-ci/sdk';

/** Reads the body as bytes, refusing it (without buffering the rest) once it passes `limit`. */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HeliosError('E_PAYLOAD_TOO_LARGE', `request body of ${declared} bytes is over the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.destroy();
      throw new HeliosError('E_PAYLOAD_TOO_LARGE', `request body is over the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
