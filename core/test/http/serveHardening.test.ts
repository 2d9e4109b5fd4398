import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { get, type IncomingMessage, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo as TestRepo } from '../helpers/gitRepo.js';
import { ServeHarness, waitFor } from './serveHarness.js';
import { seedJobLog } from './seedJobLog.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Opens a log stream and does not read it: the server fills the socket and waits for 'drain', so the stream stays open. */
function openIdleStream(url: string, jobId: string, localAddress = '127.0.0.1'): Promise<{ status: number; body: Promise<string>; req: ClientRequest; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = get(`${url}/api/jobs/${jobId}/log/stream`, { localAddress }, (res) => {
      if (res.statusCode === 200) {
        res.pause();
        return resolve({ status: 200, body: Promise.resolve(''), req, res });
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      resolve({ status: res.statusCode!, body: new Promise((r) => res.on('end', () => r(body))), req, res });
    });
    req.on('error', reject);
  });
}

test('log streams are capped per job and per client address (429 saying which limit), and a closed stream frees its slot', async () => {
  const h = new ServeHarness('limits:\n  logStreamsPerJob: 2\n  logStreamsPerClient: 3\n');
  const a = seedJobLog(join(h.dir, 'data'), 200_000);
  const b = seedJobLog(join(h.dir, 'data'), 200_000);
  await h.start();
  const open: ClientRequest[] = [];
  const keep = <T extends { req: ClientRequest }>(s: T) => (open.push(s.req), s);
  try {
    const a1 = keep(await openIdleStream(h.url, a.jobId));
    keep(await openIdleStream(h.url, a.jobId));
    assert.is(a1.status, 200);
    const a3 = keep(await openIdleStream(h.url, a.jobId, '127.0.0.2'));
    assert.is(a3.status, 429, 'a third stream on one job, even from another address');
    const a3body = JSON.parse(await a3.body);
    assert.is(a3body.error.code, 'E_RATE_LIMITED');
    assert.match(a3body.error.message, /limits\.logStreamsPerJob/);

    assert.is(keep(await openIdleStream(h.url, b.jobId)).status, 200, 'the third stream of this client');
    const b2 = keep(await openIdleStream(h.url, b.jobId));
    assert.is(b2.status, 429, 'a fourth stream from the same address');
    assert.match(JSON.parse(await b2.body).error.message, /limits\.logStreamsPerClient/);
    assert.is(keep(await openIdleStream(h.url, b.jobId, '127.0.0.2')).status, 200, 'another address has its own allowance');

    // Closing a stream gives its slot back.
    a1.req.destroy();
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      const s = keep(await openIdleStream(h.url, a.jobId, '127.0.0.3'));
      again = s.status;
      if (again !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.is(again, 200);
    assert.is((await h.api('GET', '/healthz')).status, 200);
  } finally {
    open.forEach((r) => r.destroy());
    await h.stop();
  }
});

test('server.requireAuthForLogs: job and run views, logs, streams and pages need the admin token', async () => {
  const h = new ServeHarness('', '  requireAuthForLogs: true\n');
  const { runId, jobId } = seedJobLog(join(h.dir, 'data'), 10);
  await h.start();
  try {
    for (const path of [`/api/jobs/${jobId}`, `/api/jobs/${jobId}/log`, `/api/jobs/${jobId}/log/stream`, `/api/runs`, `/api/runs/${runId}`, `/jobs/${jobId}`, `/runs/${runId}`, `/API/JOBS/${jobId}/log`]) {
      const anonymous = await h.api('GET', path);
      assert.is(anonymous.status, 401, `${path} without the token`);
      assert.is(anonymous.body.error.code, 'E_UNAUTHORIZED');
      assert.is((await h.api('GET', path, { auth: 'wrong-token-value' })).status, 401, `${path} with a wrong token`);
    }
    const log = await h.api('GET', `/api/jobs/${jobId}/log`, { auth: true });
    assert.is(log.status, 200);
    assert.is(log.body.lines.length, 10);
    assert.is((await h.api('GET', `/jobs/${jobId}`, { auth: true })).status, 200);
    assert.is((await h.api('GET', '/healthz')).status, 200, 'health stays open');
  } finally {
    await h.stop();
  }
});

test('without server.requireAuthForLogs logs stay readable without a token (the default)', async () => {
  const h = new ServeHarness();
  const { jobId } = seedJobLog(join(h.dir, 'data'), 3);
  await h.start();
  try {
    assert.is((await h.api('GET', `/api/jobs/${jobId}/log`)).status, 200);
  } finally {
    await h.stop();
  }
});

test('the data dir is 700 (an existing 755 one is tightened, with a log line); the database, its -wal/-shm and mirror configs are 600', async () => {
  const h = new ServeHarness();
  const data = join(h.dir, 'data');
  seedJobLog(data, 1);
  // As an older Helios left them.
  chmodSync(data, 0o755);
  chmodSync(join(data, 'helios.db'), 0o644);
  const repo = new TestRepo();
  try {
    repo.write('README', 'no workflows here\n').commit('init');
    await h.start();
    assert.is(modeOf(data), '700');
    assert.match(h.output().stderr, /data dir permissions tightened/);
    for (const f of ['helios.db', 'helios.db-wal', 'helios.db-shm', 'admin-token']) assert.is(modeOf(join(data, f)), '600', f);
    // A run request clones a mirror (nothing runs: there are no workflows, but the mirror stays).
    const res = await h.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main' } });
    assert.is(res.status, 422, JSON.stringify(res.body));
    const mirrors = join(data, 'mirrors');
    assert.is(modeOf(mirrors), '700');
    const [key] = readdirSync(mirrors);
    assert.is(modeOf(join(mirrors, key!)), '700');
    const [mirror] = readdirSync(join(mirrors, key!));
    assert.is(modeOf(join(mirrors, key!, mirror!, 'config')), '600');
  } finally {
    repo.cleanup();
    await h.stop();
  }
});

test('a repository URL with a malformed percent-escape is a 400 that says so, not a 500', async () => {
  const h = await new ServeHarness().start();
  try {
    for (const repository of ['https://example.com/acme/wid%zzget.git', 'http://example.com/%E0%A4%A']) {
      const res = await h.api('POST', '/api/runs', { auth: true, body: { repository, ref: 'main' } });
      assert.is(res.status, 400, `${repository}: ${JSON.stringify(res.body)}`);
      assert.is(res.body.error.code, 'E_REPOSITORY_INVALID');
      assert.match(res.body.error.message, /percent-escape/);
    }
    assert.not.match(h.output().stderr, /request failed/);
  } finally {
    await h.stop();
  }
});

test('limits.maxLogBytesPerJob: a job printing more keeps its head and newest lines, with one notice line between', async () => {
  const repo = new TestRepo();
  const h = new ServeHarness('limits:\n  maxLogBytesPerJob: 20000\n');
  try {
    repo
      .write(
        '.github/workflows/loud.yml',
        `on: workflow_dispatch\njobs:\n  loud:\n    runs-on: local\n    steps:\n      - run: for i in $(seq 1 3000); do echo "loud line $i of a job that prints far too much"; done\n`,
      )
      .commit('loud');
    await h.start();
    const created = await h.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main', event: 'workflow_dispatch' } });
    assert.is(created.status, 201, JSON.stringify(created.body));
    const jobId = created.body.jobs[0].id as string;
    await waitFor('the job to finish', async () => {
      const r = await h.api('GET', `/api/jobs/${jobId}`);
      return ['succeeded', 'failed', 'errored'].includes(r.body.state) && r.body;
    }, 60_000);
    const log = await h.api('GET', `/api/jobs/${jobId}/log?limit=10000`);
    const texts = (log.body.lines as { text: string }[]).map((l) => l.text);
    const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
    assert.ok(bytes <= 20000, `the stored log is ${bytes} bytes`);
    const notices = texts.filter((t) => t.includes('limits.maxLogBytesPerJob'));
    assert.is(notices.length, 1, 'the job is told once');
    assert.ok(texts.some((t) => t.includes('loud line 1 of')), 'the head is kept');
    assert.ok(texts.some((t) => t.includes('loud line 3000 of')), 'the newest lines are kept');
    assert.not.ok(texts.some((t) => t.includes('loud line 1500 of')), 'the middle is dropped');
    const at = (needle: string) => texts.findIndex((t) => t.includes(needle));
    assert.ok(at('loud line 1 of') < at('limits.maxLogBytesPerJob') && at('limits.maxLogBytesPerJob') < at('loud line 3000 of'), 'head, notice, tail in that order');
  } finally {
    repo.cleanup();
    await h.stop();
  }
});

/** Every process's argv on this host that contains `needle` (what `ps` would show). */
function argvContaining(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (argv.includes(needle)) found.push(argv.replace(/\0/g, ' '));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

test('credentials in a POST /api/runs repository URL reach git as an HTTP header, never its argv or the mirror config', async () => {
  const secret = 'S3cretPassw0rd';
  const expected = `Basic ${Buffer.from(`bot:${secret}`).toString('base64')}`;
  const repo = new TestRepo();
  const root = mkdtempSync(join(tmpdir(), 'helios-dumb-http-'));
  const h = new ServeHarness();
  let server: Server | undefined;
  const seen = { authorized: 0, refused: 0, argv: [] as string[] };
  try {
    repo.write('README', 'no workflows\n').commit('init');
    const bare = join(root, 'widget.git');
    execFileSync('git', ['clone', '-q', '--bare', repo.dir, bare]);
    execFileSync('git', ['update-server-info'], { cwd: bare });
    // git's "dumb" HTTP protocol: static files of a bare repository, behind Basic auth.
    server = createServer((req, res) => {
      seen.argv.push(...argvContaining(secret));
      if (req.headers.authorization !== expected) {
        seen.refused++;
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
      seen.authorized++;
      const path = new URL(req.url!, 'http://x').pathname.replace(/^\/widget\.git\//, '');
      try {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(readFileSync(join(bare, path)));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await h.start();
    const res = await h.api('POST', '/api/runs', { auth: true, body: { repository: `http://bot:${secret}@127.0.0.1:${port}/widget.git`, ref: 'main' } });
    // Cloned and resolved; nothing runs because the commit has no workflows.
    assert.is(res.status, 422, JSON.stringify(res.body));
    assert.is(res.body.error.code, 'E_NOTHING_TO_RUN');
    assert.ok(seen.authorized > 0, 'git sent the credentials');
    assert.equal(seen.argv, [], 'no process had the password in its argv');
    const mirrors = join(h.dir, 'data/mirrors');
    const [key] = readdirSync(mirrors);
    const [mirror] = readdirSync(join(mirrors, key!));
    const config = readFileSync(join(mirrors, key!, mirror!, 'config'), 'utf8');
    assert.not.ok(config.includes(secret), 'the mirror config has no password');
    assert.match(config, new RegExp(`url = http://127\\.0\\.0\\.1:${port}/widget\\.git`));
    assert.not.ok((h.output().stdout + h.output().stderr).includes(secret));
    // A second request fetches the existing mirror with the same credentials.
    const again = await h.api('POST', '/api/runs', { auth: true, body: { repository: `http://bot:${secret}@127.0.0.1:${port}/widget.git`, ref: 'main' } });
    assert.is(again.body.error?.code, 'E_NOTHING_TO_RUN', JSON.stringify(again.body));
    assert.equal(seen.argv, []);
  } finally {
    server?.close();
    repo.cleanup();
    rmSync(root, { recursive: true, force: true });
    await h.stop();
  }
});

test.run();
