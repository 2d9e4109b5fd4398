import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Store } from '@helios-ci/core';
import { PLAN_VERSION, type JobPlan } from '@helios-ci/sdk';
import { requireComponent, startHeliosServe, type HeliosServe } from '@helios-ci/sdk/testkit';
import { REPO_ROOT } from './helpers/serve.js';
import { GitHubStandIn } from './standIn/server.js';

// Sign-in with GitHub in a real browser: the web UI of `helios serve` against the GitHub stand-in's
// OAuth web flow, then what the forge's permissions let each user see and do.
const CHROMIUM = process.env.HELIOS_CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install -y chromium (playwright-core drives Debian's chromium; no browser is downloaded)`;
const test = requireComponent(uvuTest, missing);
const SHOTS = process.env.HELIOS_SCREENSHOT_DIR ?? join(REPO_ROOT, 'test-screenshots');

const ctx: { gh?: GitHubStandIn; serve?: HeliosServe; url?: string; dir?: string; browser?: Browser; privateRun?: string; publicRun?: string } = {};

function plan(key: string): JobPlan {
  return {
    id: `.github/workflows/ci.yml#${key}`, workflow: { file: '.github/workflows/ci.yml', name: 'CI' }, jobKey: key, name: key, matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
    defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 5, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null }, outputs: {}, secretNames: [],
    steps: [{ id: 'a', name: 'A', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'true', shell: null, workingDirectory: null }],
  } as JobPlan;
}

/** A finished, failed run of forge instance `github` on acme/<name>, written before serve starts. */
function seedRun(store: Store, name: string): string {
  const { run, jobs } = store.runs.create({ forge: 'github', repo: { owner: 'acme', name, installationId: '31337' }, sha: 'f'.repeat(40), ref: 'refs/heads/main', event: 'push', trusted: true,
    plan: { version: PLAN_VERSION, event: { name: 'push', ref: 'refs/heads/main', sha: 'f'.repeat(40) }, workflows: [{ file: '.github/workflows/ci.yml', name: 'CI' }], jobs: [plan('build')], problems: [] } });
  store.jobs.transition(jobs[0]!.id, 'provisioning');
  store.jobs.transition(jobs[0]!.id, 'running');
  store.logs.append(jobs[0]!.id, [{ step: 1, stream: 'stdout', ts: Date.now(), text: `log of ${name}` }]);
  store.jobs.transition(jobs[0]!.id, 'failed');
  store.runs.complete(run.id, 'failure');
  return run.id;
}

test.before(async () => {
  const gh = (ctx.gh = new GitHubStandIn());
  await gh.start();
  gh.addRepo({ owner: 'acme', name: 'secret', installationId: 31337, dir: REPO_ROOT, collaborators: { writer: 'write', reader: 'read' }, private: true });
  gh.addRepo({ owner: 'acme', name: 'open', installationId: 31337, dir: REPO_ROOT, collaborators: {}, private: false });
  const app = gh.oauth.registerApp();
  const dir = (ctx.dir = mkdtempSync(join(tmpdir(), 'helios-signin-')));
  mkdirSync(join(dir, 'data'), { mode: 0o700 });
  const store = Store.open(join(dir, 'data/helios.db'));
  try {
    ctx.privateRun = seedRun(store, 'secret');
    ctx.publicRun = seedRun(store, 'open');
    // A fork pull request held for approval (its delivery already handled, so serve leaves it be).
    const { record } = store.inbox.receive({ forge: 'github', deliveryId: 'held-1', kind: 'pull_request', payload: {} });
    store.inbox.markPlanned(record.id);
    store.approvals.create({ id: 'approval-1', forge: 'github', repo: { owner: 'acme', name: 'secret', installationId: '31337' }, prNumber: 7, headSha: 'a'.repeat(40), inboxId: record.id });
  } finally {
    store.close();
  }
  writeFileSync(
    join(dir, 'helios.yaml'),
    `server:\n  dataDir: ./data\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { workRoot: ./machines }\nui:\n  permissionCacheSeconds: 0\n  signIn:\n    github:\n      type: github\n      url: ${gh.url}\n      apiUrl: ${gh.apiUrl}\n      clientId: ${app.clientId}\n      clientSecretEnv: GH_CLIENT_SECRET\n`,
  );
  ctx.serve = startHeliosServe(dir, { env: { GH_CLIENT_SECRET: app.clientSecret }, startTimeoutMs: 30_000 });
  ctx.url = await ctx.serve.url;
  if (!missing) {
    ctx.browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }
});

test.after(async () => {
  await ctx.browser?.close();
  await ctx.serve?.stop();
  await ctx.gh?.stop();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function signIn(page: Page, login: string, from: string): Promise<void> {
  ctx.gh!.oauth.signInAs(login);
  await page.goto(ctx.url! + from);
  await Promise.all([page.waitForURL((u) => u.pathname === from && u.host === new URL(ctx.url!).host, { timeout: 20_000 }).catch(async (err: Error) => {
    throw new Error(`${err.message}\nat ${page.url()}: ${(await page.locator('body').textContent().catch(() => ''))?.slice(0, 500)}\n${ctx.serve!.output().slice(-1500)}`);
  }), page.click('a.signin')]);
  const who = await page.locator('header .who').textContent({ timeout: 5000 }).catch(async () => {
    throw new Error(`not signed in at ${page.url()}: ${(await page.content()).slice(0, 600)}; cookies ${JSON.stringify(await page.context().cookies())}\n${ctx.serve!.output().slice(-1500)}`);
  });
  assert.is(who, login);
}

test('anonymous: a public repository reads, a private one asks to sign in', async () => {
  const page = await ctx.browser!.newPage();
  const open = await page.goto(`${ctx.url}/runs/${ctx.publicRun}`);
  assert.is(open!.status(), 200);
  assert.is(await page.locator('#run-actions').count(), 0);
  const closed = await page.goto(`${ctx.url}/runs/${ctx.privateRun}`);
  assert.is(closed!.status(), 401);
  assert.match((await page.locator('main').textContent())!, /Sign in needed/);
  const api = await page.request.get(`${ctx.url}/api/runs/${ctx.privateRun}`);
  assert.is(api.status(), 401);
  await page.goto(`${ctx.url}/`);
  assert.equal(await page.locator('table.runs tbody td:nth-child(2) a').allTextContents(), ['acme/open']);
  await page.close();
});

test('sign-in round trip; a writer re-runs; the cookie is HttpOnly and SameSite=Lax; sign out', async () => {
  const context = await ctx.browser!.newContext();
  const page = await context.newPage();
  await signIn(page, 'writer', `/runs/${ctx.privateRun}`);
  const cookie = (await context.cookies()).find((c) => c.name === 'helios_session')!;
  assert.ok(cookie.httpOnly);
  assert.is(cookie.sameSite, 'Lax');
  assert.is(cookie.secure, false, 'Secure only when publicUrl is https');
  assert.ok(ctx.gh!.oauth.exchanges.some((e) => e.ok));
  await shot(page, 'signed-in-run');
  await page.goto(`${ctx.url}/approvals/approval-1`);
  assert.is(await page.locator('main button:text("Approve and run")').count(), 1, 'a writer may approve the held pull request');
  await page.goto(`${ctx.url}/runs/${ctx.privateRun}`);
  await page.click('#run-actions button:text("Re-run failed jobs")');
  await page.waitForURL((u) => /^\/runs\//.test(u.pathname) && !u.pathname.endsWith(ctx.privateRun!));
  // Without the CSRF token, the same request is refused.
  const forged = await page.request.post(`${ctx.url}/runs/${ctx.privateRun}/rerun`, { form: { scope: 'all' } });
  assert.is(forged.status(), 403);
  assert.is((await forged.json()).error.code, 'E_CSRF_INVALID');
  await page.click('header form button:text("Sign out")');
  await page.waitForURL((u) => u.pathname === '/');
  assert.is((await context.cookies()).find((c) => c.name === 'helios_session'), undefined);
  assert.is((await page.goto(`${ctx.url}/runs/${ctx.privateRun}`))!.status(), 401);
  await context.close();
});

test('a reader sees the private run but gets no buttons, and a re-run is refused', async () => {
  const context = await ctx.browser!.newContext();
  const page = await context.newPage();
  await signIn(page, 'reader', `/runs/${ctx.privateRun}`);
  assert.is(await page.locator('#run-actions').count(), 0);
  const csrf = await page.evaluate(() => document.body.dataset.csrf);
  const refused = await page.request.post(`${ctx.url}/runs/${ctx.privateRun}/rerun`, { form: { scope: 'all', _csrf: csrf! } });
  assert.is(refused.status(), 403);
  assert.is((await refused.json()).error.code, 'E_FORBIDDEN');
  await shot(page, 'reader-run');
  await page.goto(`${ctx.url}/approvals/approval-1`);
  assert.is(await page.locator('main button').count(), 0);
  assert.match((await page.locator('main').textContent())!, /Sign in with write access to the repository to approve/);
  await context.close();
});

test('a used or unknown sign-in code is refused', async () => {
  const page = await ctx.browser!.newPage();
  const res = await page.goto(`${ctx.url}/auth/github/callback?code=nope&state=nope`);
  assert.is(res!.status(), 401);
  assert.match((await page.locator('main').textContent())!, /E_SIGN_IN_FAILED/);
  await page.close();
});

test.run();
