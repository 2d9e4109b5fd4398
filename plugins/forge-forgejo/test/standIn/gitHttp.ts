// Git smart HTTP for the stand-in: the real `git http-backend` (CGI) serves the test's repository,
// so the agent's clone goes through the same protocol and auth header it would use against Forgejo.
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';

/**
 * Runs one request through `git http-backend`. `repoDir` is the repository (with .git), `rest` the
 * path after `<owner>/<name>.git` (e.g. `/info/refs`).
 */
export function serveGit(req: IncomingMessage, res: ServerResponse, repoDir: string, rest: string, query: string): void {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: dirname(repoDir),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${basename(repoDir)}${rest}`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: query,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_USER: 'helios-agent',
      REMOTE_ADDR: '127.0.0.1',
      // The agent fetches one exact SHA at depth 1, as actions/checkout does; Forgejo allows that.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
      GIT_CONFIG_VALUE_0: 'true',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    const endLf = head.indexOf('\n\n');
    const cut = end >= 0 ? { at: end, len: 4 } : endLf >= 0 ? { at: endLf, len: 2 } : null;
    if (!cut) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, cut.at).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(head.subarray(cut.at + cut.len));
  });
  child.on('close', (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
  child.on('error', (err) => {
    if (!res.headersSent) res.statusCode = 500;
    res.end(String(err));
  });
}
