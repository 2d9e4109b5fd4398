import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveGit } from './gitHttpBackend.js';

/** One request the server answered: when, what, and with which credential (null: none). */
export interface GitServerRequest {
  at: number;
  path: string;
  token: string | null;
  status: number;
}

export interface TokenGitServer {
  /** `http://127.0.0.1:<port>/<owner>/<name>.git` */
  urlOf(fullName: string): string;
  readonly requests: GitServerRequest[];
  close(): Promise<void>;
}

/**
 * For tests of clone credentials: serves local repositories (`owner/name` → directory) over git's
 * smart HTTP protocol, fetch only, and only to a request that carries `token` the way forges take it
 * (HTTP basic, user `x-access-token`, or `Authorization: token …`); anything else gets 401. `token`
 * null serves them publicly (anonymous fetches). Every request is recorded, so a test can tell when
 * the credential was used and whether it was at all.
 */
export async function startTokenGitServer(repos: Record<string, string>, token: string | null): Promise<TokenGitServer> {
  const requests: GitServerRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const auth = String(req.headers.authorization ?? '');
    const basic = /^basic\s+(.+)$/i.exec(auth);
    let presented: string | null = /^token\s+(.+)$/i.exec(auth)?.[1] ?? null;
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      presented = colon >= 0 && text.slice(0, colon) === 'x-access-token' ? text.slice(colon + 1) : `(bad user) ${text}`;
    }
    const record: GitServerRequest = { at: Date.now(), path: url.pathname, token: presented, status: 200 };
    requests.push(record);
    const m = /^\/([^/]+\/[^/]+)\.git(\/.*)$/.exec(url.pathname);
    const dir = m ? repos[m[1]!] : undefined;
    if (!m || dir === undefined) {
      record.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such repository\n');
      return;
    }
    if (token !== null && presented !== token) {
      record.status = 401;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    if (m[2]!.includes('receive-pack') || url.search.includes('git-receive-pack')) {
      record.status = 403;
      res.writeHead(403, { 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    serveGit(req, res, dir, m[2]!, url.search.slice(1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    urlOf: (fullName) => `http://127.0.0.1:${port}/${fullName}.git`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
