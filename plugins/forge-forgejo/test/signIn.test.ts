import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Store } from '@helios-ci/core';
import { PLAN_VERSION, type JobPlan } from '@helios-ci/sdk';
import { startHeliosServe, type HeliosServe } from '@helios-ci/sdk/testkit';
import { ForgejoStandIn } from './standIn/server.js';

// Sign-in with Forgejo (OAuth2 authorization code + PKCE) against the stand-in, over HTTP with a
// hand-kept cookie (the GitHub suite drives the same flow in chromium): who may read a private
// repository's run, and who may re-run it.

const ctx: { fj?: ForgejoStandIn; serve?: HeliosServe; url?: string; dir?: string; runId?: string } = {};

function seedRun(store: Store, name: string): string {
  const plan = {
    id: '.forgejo/workflows/ci.yml#build', workflow: { file: '.forgejo/workflows/ci.yml', name: 'CI' }, jobKey: 'build', name: 'build', matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
    defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 5, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null }, outputs: {}, secretNames: [], steps: [],
  } as unknown as JobPlan;
  const { run, jobs } = store.runs.create({ forge: 'forgejo', repo: { owner: 'acme', name }, sha: 'e'.repeat(40), ref: 'refs/heads/main', event: 'push', trusted: true,
    plan: { version: PLAN_VERSION, event: { name: 'push', ref: 'refs/heads/main', sha: 'e'.repeat(40) }, workflows: [{ file: '.forgejo/workflows/ci.yml', name: 'CI' }], jobs: [plan], problems: [] } });
  store.jobs.transition(jobs[0]!.id, 'cancelled');
  store.runs.complete(run.id, 'cancelled');
  return run.id;
}

test.before(async () => {
  const dir = (ctx.dir = mkdtempSync(join(tmpdir(), 'helios-fj-signin-')));
  ctx.fj = await ForgejoStandIn.start({ token: 'server-token-0123456789', repos: [{ owner: 'acme', name: 'secret', dir, id: 7, private: true }], permissions: { wanda: 'write', rita: 'read' } });
  mkdirSync(join(dir, 'data'), { mode: 0o700 });
  const store = Store.open(join(dir, 'data/helios.db'));
  try {
    ctx.runId = seedRun(store, 'secret');
  } finally {
    store.close();
  }
  // Forgejo wants the exact callback URL registered up front: serve gets a free port chosen here.
  const port = await freePort();
  const app = ctx.fj.oauth.registerApp([`http://127.0.0.1:${port}/auth/forgejo/callback`]);
  writeFileSync(
    join(dir, 'helios.yaml'),
    `server:\n  dataDir: ./data\n  publicUrl: http://127.0.0.1:${port}\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\nui:\n  permissionCacheSeconds: 0\n  signIn:\n    forgejo:\n      type: forgejo\n      url: ${ctx.fj.url}\n      clientId: ${app.clientId}\n      clientSecretEnv: FJ_SECRET\n`,
  );
  ctx.serve = startHeliosServe(dir, { env: { FJ_SECRET: app.clientSecret }, args: ['--listen', `127.0.0.1:${port}`], startTimeoutMs: 30_000 });
  ctx.url = await ctx.serve.url;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test.after(async () => {
  await ctx.serve?.stop();
  await ctx.fj?.stop();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

/** The browser's part of the flow: follow the redirects by hand, keep the session cookie. */
async function signIn(login: string): Promise<{ cookie: string; csrf: string }> {
  ctx.fj!.oauth.signInAs(login);
  let res = await fetch(`${ctx.url}/auth/forgejo/login?return=/runs/${ctx.runId}`, { redirect: 'manual' });
  assert.is(res.status, 302);
  const authorize = new URL(res.headers.get('location')!);
  assert.is(authorize.searchParams.get('code_challenge_method'), 'S256');
  res = await fetch(authorize, { redirect: 'manual' });
  assert.is(res.status, 302, 'the stand-in accepts the client and callback');
  res = await fetch(res.headers.get('location')!, { redirect: 'manual' });
  assert.is(res.status, 302, await res.text());
  assert.is(res.headers.get('location'), `/runs/${ctx.runId}`);
  const set = res.headers.get('set-cookie')!;
  assert.match(set, /^helios_session=[\w-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
  const cookie = set.split(';')[0]!;
  const page = await (await fetch(`${ctx.url}/runs/${ctx.runId}`, { headers: { cookie } })).text();
  assert.match(page, new RegExp(`<span class="who">${login}</span>`));
  return { cookie, csrf: /data-csrf="([\w-]+)"/.exec(page)![1]! };
}

test('anonymous readers of the private repository are asked to sign in', async () => {
  assert.is((await fetch(`${ctx.url}/runs/${ctx.runId}`)).status, 401);
  assert.is((await fetch(`${ctx.url}/api/runs/${ctx.runId}`)).status, 401);
});

test('a writer signs in with Forgejo and re-runs; a CSRF-less or cross-site post is refused', async () => {
  const { cookie, csrf } = await signIn('wanda');
  const noToken = await fetch(`${ctx.url}/runs/${ctx.runId}/rerun`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=all', redirect: 'manual' });
  assert.is(noToken.status, 403);
  const crossSite = await fetch(`${ctx.url}/runs/${ctx.runId}/rerun`, { method: 'POST', headers: { cookie, origin: 'http://evil.test', 'content-type': 'application/x-www-form-urlencoded' }, body: `scope=all&_csrf=${csrf}`, redirect: 'manual' });
  assert.is(crossSite.status, 403);
  assert.is(((await crossSite.json()) as { error: { code: string } }).error.code, 'E_CSRF_INVALID');
  const ok = await fetch(`${ctx.url}/runs/${ctx.runId}/rerun`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `scope=all&_csrf=${csrf}`, redirect: 'manual' });
  assert.is(ok.status, 303);
  assert.match(ok.headers.get('location')!, /^\/runs\/[0-9a-f-]{36}$/);
});

test('a reader may read but not re-run; a replayed code is refused', async () => {
  const { cookie, csrf } = await signIn('rita');
  const refused = await fetch(`${ctx.url}/runs/${ctx.runId}/rerun`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `scope=all&_csrf=${csrf}`, redirect: 'manual' });
  assert.is(refused.status, 403);
  assert.is(((await refused.json()) as { error: { code: string } }).error.code, 'E_FORBIDDEN');
  assert.is((await fetch(`${ctx.url}/api/jobs/${'x'}`)).status, 404);
  const replay = await fetch(`${ctx.url}/auth/forgejo/callback?code=used&state=unknown`, { redirect: 'manual' });
  assert.is(replay.status, 401);
});

test.run();
