/**
 * A loopback origin for egress tests: `/hello`, a git repository over smart HTTP (`/repo.git/...`,
 * real `git http-backend`) and an npm registry stand-in (`/leftpad`: a packument as the registry
 * API documents it, `/leftpad/-/leftpad-1.0.0.tgz`: a real tarball made by `npm pack`'s format),
 * `/bytes?n=N` (bytesOf(N)), `/chunked?n=N` (the same, chunked, with a hop-by-hop field of its own),
 * `/headers` (the request's raw headers as JSON), `/raw-head` (an invalid response head), `/hang-up`
 * (closes without a response) and `POST /sha256` (the hex sha256 of the request body).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveGit } from '@helios-ci/sdk/testkit';

export interface Origin {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

export async function startOrigin(opts: { repoDir?: string } = {}): Promise<Origin> {
  const requests: string[] = [];
  let port = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://origin');
    requests.push(`${req.method} ${req.headers.host} ${url.pathname}`);
    if (url.pathname === '/bytes') {
      // n bytes of a fixed pseudo-random pattern (bytesOf), in 1 MiB writes with backpressure.
      const body = bytesOf(Number(url.searchParams.get('n')));
      res.writeHead(200, { 'content-length': body.length });
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const part = body.subarray(at, at + 1024 * 1024);
          at += part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (url.pathname === '/sha256' && req.method === 'POST') {
      const h = createHash('sha256');
      req.on('data', (d: Buffer) => h.update(d));
      req.on('end', () => res.end(`${h.digest('hex')}\n`));
      return;
    }
    if (url.pathname === '/chunked') {
      // bytesOf(n) with no Content-Length: Node frames it in chunks, a 64 KiB write each.
      const body = bytesOf(Number(url.searchParams.get('n')));
      res.setHeader('x-origin-hop', 'must not reach the client');
      res.setHeader('connection', 'x-origin-hop');
      for (let at = 0; at < body.length; at += 65536) res.write(body.subarray(at, at + 65536));
      res.end();
      return;
    }
    if (url.pathname === '/headers') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ httpVersion: req.httpVersion, headers: req.rawHeaders }));
      return;
    }
    if (url.pathname === '/raw-head') {
      // A response no HTTP/1.x parser accepts: the proxy must answer 502, not pass it on.
      res.socket!.end('HTTP/1.1 200 OK\r\n folded-line: without a name\r\n\r\nbody');
      return;
    }
    if (url.pathname === '/hang-up') {
      res.socket!.destroy();
      return;
    }
    if (url.pathname === '/hello') {
      res.end('hello from the origin\n');
      return;
    }
    const git = /^\/repo\.git(\/.*)$/.exec(url.pathname);
    if (git && opts.repoDir) {
      serveGit(req, res, opts.repoDir, git[1]!, url.search.slice(1));
      return;
    }
    if (url.pathname === '/leftpad') {
      const base = `http://${req.headers.host}`;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          _id: 'leftpad',
          name: 'leftpad',
          'dist-tags': { latest: '1.0.0' },
          versions: { '1.0.0': { name: 'leftpad', version: '1.0.0', description: 'pads on the left', dist: { tarball: `${base}/leftpad/-/leftpad-1.0.0.tgz`, shasum: '0000000000000000000000000000000000000000' } } },
          time: { '1.0.0': '2024-01-01T00:00:00.000Z' },
        }),
      );
      return;
    }
    res.statusCode = 404;
    res.end('not here\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** n bytes whose content depends on their position (a shifted or dropped chunk changes the hash). */
export function bytesOf(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = 0x9e3779b9;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (i + 4 <= n) b.writeUInt32LE(x, i);
    else for (let j = i; j < n; j++) b[j] = (x >>> (8 * (j - i))) & 0xff;
  }
  return b;
}
