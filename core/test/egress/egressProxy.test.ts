// The egress proxy driven by real clients on loopback: curl (forwarding and CONNECT), git and npm.
// Names are pinned by egress.hosts (the proxy's own resolver path): origin.example → 127.0.0.1
// (allowed through allowPrivate 127.0.0.1/32), public.example → 127.0.0.2 (loopback, not allowed).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EgressService } from '../../src/egress/egressService.js';
import { compile, policyFor } from '../../src/egress/egressPolicy.js';
import type { EgressConnection } from '../../src/egress/egressGrants.js';
import { egressLine } from '../../src/egress/egressLine.js';
import { GitRepo } from '../helpers/gitRepo.js';
import { openJobEgress } from '../../src/egress/jobEgress.js';
import { jobTokenHash } from '../../src/agent-service/jobTokenHash.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import type { RunRecord } from '../../src/store/index.js';
import type { Logger } from '@helios-ci/sdk';
import { bytesOf, startOrigin, type Origin } from './originServer.js';

let origin: Origin;
let service: EgressService;
let repo: GitRepo;
const seen: EgressConnection[] = [];

test.before(async () => {
  repo = new GitRepo();
  repo.write('README', 'through the proxy\n').commit('init');
  origin = await startOrigin({ repoDir: join(repo.dir, '.git') });
  service = new EgressService({ host: '127.0.0.1', port: 0, hosts: { 'origin.example': '127.0.0.1', 'public.example': '127.0.0.2' } });
  await service.start();
});

test.after(async () => {
  await service.stop();
  await origin.close();
  repo.cleanup();
});

function grant(policy = compile({ allow: [`origin.example:${origin.port}`, `public.example:${origin.port}`], allowPrivate: ['127.0.0.1/32'] }, 'egress.repositories."acme/widgets"', 'acme/widgets')) {
  return service.grant({ jobId: 'job1', policy, implicit: [], report: (c) => seen.push(c) });
}

/** A tunnel is reported when both sides closed, which can be just after curl exits. */
async function reported(n: number): Promise<EgressConnection[]> {
  for (let i = 0; i < 100 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return [...seen].sort((a, b) => a.method.localeCompare(b.method));
}

function proxyUrl(credential: string): string {
  const [user, secret] = credential.split(':') as [string, string];
  return `http://${user}:${encodeURIComponent(secret)}@${service.endpoint}`;
}

/** The proxy runs in this process: clients must run beside it, not block it (no spawnSync). */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

async function curl(args: string[], proxy: string) {
  const r = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', ...args], { PATH: process.env.PATH, http_proxy: proxy, HTTPS_PROXY: proxy });
  const lines = r.stdout.trimEnd().split('\n');
  return { code: lines.pop(), body: lines.join('\n').trimEnd(), stderr: r.stderr, status: r.status };
}

test('an allowed name is forwarded (plain HTTP) and tunnelled (CONNECT), and both are reported with bytes', async () => {
  const g = grant();
  try {
    seen.length = 0;
    const plain = await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(g.credential));
    assert.is(plain.code, '200', plain.stderr);
    assert.is(plain.body, 'hello from the origin');
    const tunnel = await curl(['-p', `http://origin.example:${origin.port}/hello`], proxyUrl(g.credential));
    assert.is(tunnel.code, '200', tunnel.stderr);
    assert.is(tunnel.body, 'hello from the origin');
    const both = await reported(2);
    assert.equal(both.map((c) => [c.method, c.target, c.allowed]), [['CONNECT', `origin.example:${origin.port}`, true], ['GET', `origin.example:${origin.port}`, true]]);
    assert.ok(both.every((c) => c.bytes > 20), JSON.stringify(both));
    assert.match(egressLine(both[0]!), new RegExp(`^egress \\| CONNECT origin.example:${origin.port} allowed \\d+ B \\d+ ms$`));
    assert.ok(origin.requests.some((r) => r === `GET origin.example:${origin.port} /hello`), 'the Host header reaches the origin unchanged');
  } finally {
    g.revoke();
  }
});

test('large bodies cross the tunnel and the forwarder intact both ways, to a fast and to a rate-limited reader', async () => {
  const g = grant();
  const dir = mkdtempSync(join(tmpdir(), 'egress-big-'));
  const n = 24 * 1024 * 1024 + 12345;
  const expected = createHash('sha256').update(bytesOf(n)).digest('hex');
  const env = { PATH: process.env.PATH, http_proxy: proxyUrl(g.credential) };
  try {
    seen.length = 0;
    // --limit-rate makes curl read slowly, so the proxy's writes to it back up and reading must pause and resume.
    for (const [i, args] of [['-p'], ['-p', '--limit-rate', '40M'], []].entries()) {
      const out = join(dir, `big${i}`);
      const r = await run('curl', ['-sS', '-f', '-o', out, ...args, `http://origin.example:${origin.port}/bytes?n=${n}`], env, 120_000);
      assert.is(r.status, 0, r.stderr);
      assert.is(createHash('sha256').update(readFileSync(out)).digest('hex'), expected, `download ${i} (${args.join(' ')}) arrived changed`);
      rmSync(out);
    }
    const upload = join(dir, 'up');
    writeFileSync(upload, bytesOf(n));
    for (const args of [['-p'], []]) {
      const r = await run('curl', ['-sS', '-f', '--data-binary', `@${upload}`, ...args, `http://origin.example:${origin.port}/sha256`], env, 120_000);
      assert.is(r.status, 0, r.stderr);
      assert.is(r.stdout.trim(), expected, `upload (${args.join(' ')}) arrived changed`);
    }
    const all = await reported(5);
    assert.is(all.length, 5, JSON.stringify(all));
    // Bytes come from the upstream socket's counters at close: body plus HTTP heads.
    assert.ok(all.every((c) => c.allowed && c.bytes >= n && c.bytes < n + 4096), JSON.stringify(all.map((c) => [c.method, c.bytes])));
  } finally {
    g.revoke();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('forwarding: chunked bodies both ways, hop-by-hop fields dropped both ways, HTTP/1.0, bad or missing origin answers give 502', async () => {
  const g = grant();
  const env = { PATH: process.env.PATH, http_proxy: proxyUrl(g.credential) };
  const dir = mkdtempSync(join(tmpdir(), 'egress-fwd-'));
  const base = `http://origin.example:${origin.port}`;
  try {
    seen.length = 0;
    const n = 3 * 1024 * 1024 + 7;
    const out = join(dir, 'chunked');
    const got = await run('curl', ['-sS', '-f', '-D', '-', '-o', out, `${base}/chunked?n=${n}`], env);
    assert.is(got.status, 0, got.stderr);
    assert.ok(readFileSync(out).equals(bytesOf(n)), 'the chunked download arrived changed');
    assert.match(got.stdout, /^transfer-encoding: chunked\r$/im);
    assert.not.match(got.stdout, /x-origin-hop/i, 'a field the origin named in Connection reached the client');
    // A chunked upload (curl frames it; Node's parser de-chunks it; the proxy frames it again).
    const upload = join(dir, 'up');
    writeFileSync(upload, bytesOf(n));
    const up = await run('curl', ['-sS', '-f', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${upload}`, `${base}/sha256`], env);
    assert.is(up.status, 0, up.stderr);
    assert.is(up.stdout.trim(), createHash('sha256').update(bytesOf(n)).digest('hex'));
    // What the origin sees: no credential, no hop-by-hop field, nor one the client named in Connection.
    const h = await run('curl', ['-sS', '-f', '-H', 'Connection: keep-alive, X-Client-Hop', '-H', 'X-Client-Hop: secret', '-H', 'Keep-Alive: 5', '-H', 'X-Kept: yes', `${base}/headers`], env);
    assert.is(h.status, 0, h.stderr);
    const seenByOrigin = JSON.parse(h.stdout) as { httpVersion: string; headers: string[] };
    const names = seenByOrigin.headers.filter((_, i) => i % 2 === 0).map((x) => x.toLowerCase());
    for (const hop of ['proxy-authorization', 'x-client-hop', 'keep-alive', 'proxy-connection']) assert.not.ok(names.includes(hop), `${hop} reached the origin: ${names.join(', ')}`);
    assert.ok(names.includes('x-kept') && names.includes('host'), names.join(', '));
    assert.is(seenByOrigin.headers[seenByOrigin.headers.findIndex((x) => x.toLowerCase() === 'connection') + 1], 'close');
    const old = await run('curl', ['-sS', '-f', '--http1.0', `${base}/headers`], env);
    assert.is((JSON.parse(old.stdout) as { httpVersion: string }).httpVersion, '1.0');
    const bad = await curl([`${base}/raw-head`], proxyUrl(g.credential));
    assert.is(bad.code, '502');
    assert.match(bad.body, /malformed header line/);
    const gone = await curl([`${base}/hang-up`], proxyUrl(g.credential));
    assert.is(gone.code, '502');
    assert.match(gone.body, /closed the connection without a response/);
    const all = await reported(6);
    assert.equal(all.map((c) => [c.allowed, c.reason ?? null]).filter(([, r]) => r !== null).length, 2, JSON.stringify(all));
  } finally {
    g.revoke();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a host not in the allow list gets 403 naming the rule and the key to change; nothing reaches the origin', async () => {
  const g = grant();
  try {
    seen.length = 0;
    const before = origin.requests.length;
    const r = await curl([`http://refused.example:${origin.port}/hello`], proxyUrl(g.credential));
    assert.is(r.code, '403');
    assert.is(r.body, `Helios egress proxy refused GET refused.example:${origin.port}: refused.example:${origin.port} is not in the allow list for acme/widgets (egress.repositories."acme/widgets"); allow it in helios.yaml under egress.repositories."acme/widgets".allow`);
    const t = await curl(['-p', `http://refused.example:${origin.port}/hello`], proxyUrl(g.credential));
    assert.is(t.status, 56, 'curl reports the refused tunnel');
    assert.match(t.stderr, /CONNECT tunnel failed, response 403/);
    assert.is(origin.requests.length, before);
    const both = await reported(2);
    assert.equal(both.map((c) => [c.method, c.allowed]), [['CONNECT', false], ['GET', false]]);
    assert.match(egressLine(both[1]!), /^egress \| GET refused\.example:\d+ refused: .* not in the allow list for acme\/widgets/);
  } finally {
    g.revoke();
  }
});

test('a name in the allow list that resolves to a loopback address is refused by the address check', async () => {
  const g = grant();
  try {
    seen.length = 0;
    const r = await curl([`http://public.example:${origin.port}/hello`], proxyUrl(g.credential));
    assert.is(r.code, '403');
    assert.match(r.body, /public\.example resolves to 127\.0\.0\.2, in 127\.0\.0\.0\/8 \(loopback\), which jobs may not reach through a name; allow it in helios\.yaml under egress\.repositories\."acme\/widgets"\.allowPrivate/);
    // The same name under `any`: still refused — the address check does not depend on the allow list.
    const any = grant(compile('any', 'egress.default', 'acme/widgets'));
    try {
      const a = await curl([`http://public.example:${origin.port}/hello`], proxyUrl(any.credential));
      assert.is(a.code, '403');
      assert.match(a.body, /resolves to 127\.0\.0\.2, in 127\.0\.0\.0\/8 \(loopback\)/);
    } finally {
      any.revoke();
    }
  } finally {
    g.revoke();
  }
});

test('no credential, a wrong one, or one revoked at the end of its job: 407 with Proxy-Authenticate', async () => {
  const g = grant();
  const target = `http://origin.example:${origin.port}/hello`;
  const none = await curl([target], `http://${service.endpoint}`);
  assert.is(none.code, '407');
  const wrong = await curl([target], proxyUrl(g.credential.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))));
  assert.is(wrong.code, '407');
  assert.match(wrong.body, /a valid job credential is needed/);
  const otherUser = await curl([target], proxyUrl(g.credential.replace(/^job-job1/, 'job-job2')));
  assert.is(otherUser.code, '407', 'the secret only counts with its own user');
  assert.is((await curl([target], proxyUrl(g.credential))).code, '200');
  g.revoke();
  const after = await curl(['-D', '-', target], proxyUrl(g.credential));
  assert.is(after.code, '407');
  assert.match(after.body, /Proxy-Authenticate: Basic realm="helios egress"/i);
  const tunnel = await curl(['-p', target], proxyUrl(g.credential));
  assert.match(tunnel.stderr, /CONNECT tunnel failed, response 407/);
});

test('git clones through the proxy (http_proxy), and a fork pull request run gets none whatever the config says', async () => {
  const g = grant();
  const dir = mkdtempSync(join(tmpdir(), 'egress-git-'));
  try {
    const env = { PATH: process.env.PATH, HOME: dir, http_proxy: proxyUrl(g.credential), GIT_TERMINAL_PROMPT: '0' };
    const r = await run('git', ['clone', '-q', `http://origin.example:${origin.port}/repo.git`, join(dir, 'c')], env);
    assert.is(r.status, 0, r.stderr);
    assert.is(readFileSync(join(dir, 'c/README'), 'utf8'), 'through the proxy\n');
    const refused = await run('git', ['clone', '-q', `http://elsewhere.example:${origin.port}/repo.git`, join(dir, 'd')], env);
    assert.not.equal(refused.status, 0);
    assert.match(refused.stderr, /403/);
  } finally {
    g.revoke();
    rmSync(dir, { recursive: true, force: true });
  }
  const config = { repositories: { 'acme/widgets': 'any' as const }, labels: {}, hosts: {}, default: 'any' as const };
  const fork = policyFor(config, { repo: 'acme/widgets', label: 'local', trusted: false });
  assert.is(fork.kind, 'none');
  const fg = grant(fork);
  try {
    const r = await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(fg.credential));
    assert.is(r.code, '403');
    assert.match(r.body, /untrusted run \(fork pull request\): egress is always none; fork pull requests never get egress/);
  } finally {
    fg.revoke();
  }
  assert.is(policyFor(config, { repo: 'acme/widgets', label: 'local', trusted: true }).kind, 'any');
});

test('the orchestrator\'s glue: a fork PR run gets none even with `any` configured, its clone origin still works, lines and events are written', async () => {
  const lines: string[] = [];
  const events = createEventBus({ child: () => undefined, debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger);
  const counted: boolean[] = [];
  events.on('egress.connection', (e) => counted.push(e.allowed));
  const run = { repo: { owner: 'acme', name: 'widgets' }, trusted: false } as RunRecord;
  const config = { default: 'any' as const, repositories: { 'acme/widgets': 'any' as const }, labels: {}, hosts: {} };
  const job = openJobEgress({ service, config, run, jobId: 'fork1', label: 'local', cloneUrl: `http://origin.example:${origin.port}/repo.git`, tokenHash: jobTokenHash('fork1-token'), sink: { egress: (t) => lines.push(t) }, events });
  try {
    assert.is(job.proxy, service.endpoint);
    assert.match(job.credential, /^job-fork1:/);
    const refused = await curl([`http://public.example:${origin.port}/hello`], proxyUrl(job.credential));
    assert.is(refused.code, '403');
    assert.match(refused.body, /untrusted run \(fork pull request\): egress is always none/);
    const clone = await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(job.credential));
    assert.is(clone.code, '200', 'the clone origin is reachable under none (and through a private address)');
    for (let i = 0; i < 100 && lines.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(lines.join('\n'), new RegExp(`egress \\| GET public\\.example:${origin.port} refused: untrusted run`));
    assert.match(lines.join('\n'), new RegExp(`egress \\| GET origin\\.example:${origin.port} allowed`));
    assert.equal([...counted].sort(), [false, true]);
  } finally {
    job.revoke();
  }
  assert.is((await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(job.credential))).code, '407');
});

test('npm reads a registry through the proxy from HTTP_PROXY', async () => {
  const g = grant();
  const dir = mkdtempSync(join(tmpdir(), 'egress-npm-'));
  try {
    seen.length = 0;
    const env = { PATH: process.env.PATH, HOME: dir, HTTP_PROXY: proxyUrl(g.credential), npm_config_cache: join(dir, 'cache'), npm_config_update_notifier: 'false' };
    const r = await run('npm', ['view', '--registry', `http://origin.example:${origin.port}/`, 'leftpad', 'description'], env, 60_000);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim(), 'pads on the left');
    assert.ok(seen.some((c) => c.allowed && c.target === `origin.example:${origin.port}`), JSON.stringify(seen));
  } finally {
    g.revoke();
    rmSync(dir, { recursive: true, force: true });
  }
});


test('a job\'s grant survives a control restart (same token hash, same credential) and works on a worker\'s own proxy', async () => {
  const lines: string[] = [];
  const events = createEventBus({ child: () => undefined, debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger);
  const run = { repo: { owner: 'acme', name: 'widgets' }, trusted: true } as RunRecord;
  const config = { repositories: { 'acme/widgets': { allow: [`origin.example:${origin.port}`], allowPrivate: ['127.0.0.1/32'] } }, labels: {}, hosts: {} };
  const tokenHash = jobTokenHash('the-agent-token');
  const input = { config, run, jobId: 'adopt1', label: 'local', cloneUrl: 'file:///nowhere', tokenHash, sink: { egress: (t: string) => lines.push(t) }, events };
  const first = openJobEgress({ ...input, service });
  const credential = first.credential;
  assert.is.not(credential, openJobEgress({ ...input, service, tokenHash: jobTokenHash('another attempt') }).credential, 'each attempt has its own credential');
  first.revoke();
  // The process that minted it is gone; the restarted control opens the job's egress from the kept hash.
  assert.is((await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(credential))).code, '407');
  const again = openJobEgress({ ...input, service });
  try {
    assert.is(again.credential, credential);
    const r = await curl([`http://origin.example:${origin.port}/hello`], proxyUrl(credential));
    assert.is(r.code, '200', r.stderr);
  } finally {
    again.revoke();
  }
  // A worker's proxy: control's grant (no secret in it) admits the same credential, under the same policy.
  assert.not.match(JSON.stringify(again.grant), credential.split(':')[1]!);
  const worker = new EgressService({ host: '127.0.0.1', port: 0, hosts: { 'origin.example': '127.0.0.1', 'public.example': '127.0.0.2' } });
  await worker.start();
  const reports: EgressConnection[] = [];
  const revoke = worker.admit(JSON.parse(JSON.stringify(again.grant)), (c) => reports.push(c));
  try {
    const via = `http://${credential.split(':')[0]}:${encodeURIComponent(credential.split(':')[1]!)}@${worker.endpoint}`;
    const ok = await curl(['-p', `http://origin.example:${origin.port}/hello`], via);
    assert.is(ok.code, '200', ok.stderr);
    const refused = await curl([`http://public.example:${origin.port}/hello`], via);
    assert.is(refused.code, '403');
    assert.match(refused.body, /not in the allow list for acme\/widgets \(egress.repositories."acme\/widgets"\)/);
    for (let i = 0; i < 100 && reports.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(reports.map((c) => [c.jobId, c.method, c.allowed]).sort(), [['adopt1', 'CONNECT', true], ['adopt1', 'GET', false]]);
    revoke();
    assert.is((await curl([`http://origin.example:${origin.port}/hello`], via)).code, '407', 'revoked when the worker\'s job ends');
  } finally {
    revoke();
    await worker.stop();
  }
});

test.run();
