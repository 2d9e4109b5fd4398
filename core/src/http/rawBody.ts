import type { IncomingMessage } from 'node:http';
import { HeliosError } from '@helios-ci/sdk';
import type { BodyBudget } from './hookBudget.js';

export interface ReadBodyOptions {
  /** Shared bytes-in-flight budget; when it cannot take this body, E_SERVER_BUSY (503). */
  budget?: BodyBudget;
  /** The whole body must arrive within this long; a stalled client's connection is then dropped. */
  timeoutMs?: number;
}

/** After an early answer (413, 503): read and throw away the rest, so the client sees the answer instead of a reset. */
function discardRest(req: IncomingMessage, timeoutMs: number): void {
  if (req.complete || req.destroyed) return;
  const timer = setTimeout(() => req.destroy(), timeoutMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}

/**
 * Reads the body as bytes, refusing it once it passes `limit` (E_PAYLOAD_TOO_LARGE) without buffering
 * the rest. Listeners rather than `for await`: leaving an async iterator early destroys the socket,
 * and the client would see a reset instead of the 413.
 */
export function readRawBody(req: IncomingMessage, limit: number, options: ReadBodyOptions = {}): Promise<Buffer> {
  const discardMs = options.timeoutMs ?? 30_000;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let reserved = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
      options.budget?.release(reserved);
      reserved = 0;
      if (err) {
        chunks.length = 0;
        discardRest(req, discardMs);
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const tooLarge = (what: string) => new HeliosError('E_PAYLOAD_TOO_LARGE', `request body ${what} is over the ${limit}-byte limit`);
    const busy = () =>
      new HeliosError('E_SERVER_BUSY', `the server is buffering as many webhook bytes as it allows (limits.hookBytesInFlight = ${options.budget!.capacity}); retry shortly`, {
        retryAfterMs: 2000,
      });
    const aborted = () => new HeliosError('E_CLIENT_ABORTED', 'the client closed the connection before sending the whole request body');

    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > limit) return finish(tooLarge(`of more than ${size - chunk.length} bytes`));
      if (options.budget && size > reserved) {
        if (!options.budget.reserve(size - reserved)) return finish(busy());
        reserved = size;
      }
      chunks.push(chunk);
    }
    const onEnd = () => finish(null);
    const onClose = () => finish(aborted());
    const onError = () => finish(aborted());

    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return finish(tooLarge(`of ${declared} bytes`));
    if (options.budget && Number.isFinite(declared) && declared > 0) {
      if (!options.budget.reserve(declared)) return finish(busy());
      reserved = declared;
    }
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        // A stalled (or trickling) client holds its buffered bytes and a socket: drop both.
        finish(new HeliosError('E_REQUEST_TIMEOUT', `the request body did not arrive within ${options.timeoutMs} ms`));
        req.destroy();
      }, options.timeoutMs);
      timer.unref();
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
}
