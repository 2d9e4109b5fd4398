import type { Server } from 'node:http';
import type Koa from 'koa';
import { HeliosError } from '@helios-ci/sdk';

export function parseListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

export interface ConnectionLimits {
  /** Open connections at once; the server closes further ones at once. */
  maxConnections?: number;
  /** Time a client has to send its request headers. */
  headersTimeoutMs?: number;
}

/** Listens, turning "address in use" and friends into errors that say what to change. */
export function listen(app: Koa, address: string, limits: ConnectionLimits = {}): Promise<Server> {
  const { host, port } = parseListen(address);
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    if (limits.maxConnections !== undefined) server.maxConnections = limits.maxConnections;
    if (limits.headersTimeoutMs !== undefined) {
      server.headersTimeout = limits.headersTimeoutMs;
      // Node wants requestTimeout ≥ headersTimeout; whole request bodies (the API's small JSON) get a minute.
      server.requestTimeout = Math.max(60_000, limits.headersTimeoutMs);
    }
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'EADDRINUSE' ? 'another process listens there; stop it or change server.listen' : 'check server.listen';
      reject(new HeliosError('E_LISTEN_FAILED', `cannot listen on ${address} (${err.code}): ${hint}`, { cause: err }));
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
