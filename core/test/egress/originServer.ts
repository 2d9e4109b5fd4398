/**
 * A loopback origin for egress tests: `/hello`, a git repository over smart HTTP (`/repo.git/...`,
 * real `git http-backend`) and an npm registry stand-in (`/leftpad`: a packument as the registry
 * API documents it, `/leftpad/-/leftpad-1.0.0.tgz`: a real tarball made by `npm pack`'s format).
 */
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
