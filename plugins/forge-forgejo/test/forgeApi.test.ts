import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type CheckConclusion, type CheckJob } from '@helios-ci/sdk';
import { MAX_DESCRIPTION, WAITING_FOR_APPROVAL } from '../src/statuses.js';
import { forgeFor } from './helpers/forge.js';
import { standInWithRepo, TOKEN } from './helpers/standInRepo.js';

type Ctx = Awaited<ReturnType<typeof standInWithRepo>>;
const test = suite<{ env: Ctx }>('Forgejo API use, against the stand-in');

test.before.each(async (ctx) => {
  ctx.env = await standInWithRepo();
});
test.after.each(async (ctx) => {
  assert.equal(ctx.env.standIn.selfProblems, [], 'the stand-in answered outside the swagger');
  await ctx.env.cleanup();
});

const job = (sha: string, o: Partial<CheckJob> = {}): CheckJob => ({
  jobId: 'job-1',
  runId: 'run-1',
  repo: { owner: 'acme', name: 'widget', id: '42' },
  sha,
  workflowName: 'CI',
  jobName: 'build (ubuntu)',
  detailsUrl: 'https://ci.example.org/jobs/job-1',
  ...o,
});

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; retryable: boolean; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    assert.ok(isHeliosError(err), `not a HeliosError: ${String(err)}`);
    return { code: err.code, message: err.message, retryable: err.retryable, status: err.upstreamStatus };
  }
  throw new Error('expected a failure');
}

const api = (ctx: Ctx, method: string, path: string, body?: unknown, auth: string | null = `token ${TOKEN}`) =>
  fetch(`${ctx.standIn.url}/api/v1${path}`, { method, headers: { ...(auth ? { authorization: auth } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });

test('the stand-in refuses what Forgejo refuses: no/bad token, unknown state, ill-typed body, unknown route', async ({ env }) => {
  const path = `/repos/acme/widget/statuses/${env.sha}`;
  const ok = { state: 'pending', target_url: 'https://ci.example.org', description: 'x', context: 'c' };
  assert.is((await api(env, 'POST', path, ok, null)).status, 401);
  assert.is((await api(env, 'POST', path, ok, 'token wrong')).status, 401);
  assert.is((await api(env, 'POST', path, ok, `Bearer ${TOKEN}`)).status, 401);
  assert.is((await api(env, 'POST', path, { ...ok, state: 'running' })).status, 400);
  assert.is((await api(env, 'POST', path, { ...ok, state: undefined })).status, 400);
  assert.is((await api(env, 'POST', path, { ...ok, description: 5 })).status, 422);
  assert.is((await api(env, 'POST', path, { ...ok, targetUrl: 'misspelt' })).status, 422);
  assert.is((await api(env, 'POST', `/repos/acme/widget/statuses/${'f'.repeat(40)}`, ok)).status, 404);
  assert.is((await api(env, 'POST', '/repos/acme/widget/checks', ok)).status, 404);
  assert.is((await api(env, 'PUT', path, ok)).status, 405);
  assert.is((await api(env, 'POST', path, ok)).status, 201);
  assert.is(env.standIn.statuses.length, 1, 'only the valid status was recorded');
});

test('openCheck → updateCheck → closeCheck: pending Queued, pending "Step n/m", final, target_url and context kept', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const handle = await forge.openCheck(job(env.sha));
  assert.equal(handle.data, { owner: 'acme', repo: 'widget', sha: env.sha, context: 'helios/CI/build (ubuntu)', targetUrl: 'https://ci.example.org/jobs/job-1' });
  const persisted = JSON.parse(JSON.stringify(handle));
  await forge.updateCheck(persisted, { status: 'in_progress', title: 'Step 2/5: cargo test', summary: '| # | Step |' });
  await forge.closeCheck(persisted, { conclusion: 'success', title: 'Succeeded', summary: '' });
  const seen = env.standIn.statusesOf(env.sha).map((s) => [s.state, s.description, s.context, s.target_url]);
  assert.equal(seen, [
    ['pending', 'Queued', 'helios/CI/build (ubuntu)', 'https://ci.example.org/jobs/job-1'],
    ['pending', 'Step 2/5: cargo test', 'helios/CI/build (ubuntu)', 'https://ci.example.org/jobs/job-1'],
    ['success', 'Succeeded', 'helios/CI/build (ubuntu)', 'https://ci.example.org/jobs/job-1'],
  ]);
  // Forgejo lists them newest first, named `status` in its answer.
  const listed = (await (await api(env, 'GET', `/repos/acme/widget/statuses/${env.sha}`)).json()) as { status: string }[];
  assert.equal(listed.map((s) => s.status), ['success', 'pending', 'pending']);
});

test('status mapping for every conclusion; the description is ≤ 140 characters and counts annotations', async ({ env }) => {
  const forge = forgeFor(env.standIn.url, { contextTemplate: 'ci/{job}' });
  const expected: [CheckConclusion, string, string, string][] = [
    ['success', 'Succeeded', 'success', 'Succeeded'],
    ['failure', 'Failed at Step 2/3: test', 'failure', 'Failed at Step 2/3: test'],
    ['cancelled', 'Cancelled at Step 1/3: build', 'error', 'Cancelled at Step 1/3: build'],
    ['cancelled', '', 'error', 'Cancelled'],
    ['timed_out', 'Timed out at Step 3/3: sleep', 'error', 'Timed out at Step 3/3: sleep'],
    ['timed_out', 'after 30 min', 'error', 'Timed out: after 30 min'],
    ['action_required', 'Approve', 'pending', WAITING_FOR_APPROVAL],
    ['neutral', 'Approved by alice', 'success', 'Approved by alice'],
    ['skipped', 'Skipped', 'success', 'Skipped'],
    ['skipped', 'if: false', 'success', 'Skipped: if: false'],
  ];
  for (const [i, [conclusion, title, state, description]] of expected.entries()) {
    const h = await forge.openCheck(job(env.sha, { jobName: `j${i}` }));
    await forge.closeCheck(h, { conclusion, title, summary: 'no annotations here' });
    const last = env.standIn.statusesOf(env.sha, `ci/j${i}`).at(-1)!;
    assert.equal([last.state, last.description], [state, description], conclusion);
  }

  const long = 'Step 12/40: ' + 'very long step name '.repeat(20);
  const h = await forge.openCheck(job(env.sha, { jobName: 'long' }));
  await forge.updateCheck(h, { status: 'in_progress', title: long, summary: '' });
  // The count is the typed annotationCount; the rendered markdown is not read (it says 9 here).
  const summary = '| # |\n\n### Annotations (9)\n- **failure** `a.ts:1` x';
  await forge.closeCheck(h, { conclusion: 'failure', title: `Failed at ${long}`, summary, annotationCount: 3 });
  const [, update, close] = env.standIn.statusesOf(env.sha, 'ci/long');
  assert.is(Array.from(update!.description).length, MAX_DESCRIPTION);
  assert.ok(update!.description.endsWith('…'));
  assert.ok(Array.from(close!.description).length <= MAX_DESCRIPTION);
  assert.match(close!.description, /^Failed at Step 12\/40: very long.*… · 3 annotations$/);
});

test('awaiting approval opens as pending "Waiting for approval…"; annotate() calls are counted', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const h = await forge.openCheck(job(env.sha, { workflowName: 'Helios', jobName: 'Approve and run', awaitingApproval: true }));
  assert.equal(env.standIn.statusesOf(env.sha).map((s) => [s.state, s.description, s.context]), [['pending', WAITING_FOR_APPROVAL, 'helios/Helios/Approve and run']]);
  await forge.annotate(h, [{ level: 'warning', message: 'w' }]);
  await forge.closeCheck(h, { conclusion: 'neutral', title: 'Approved by alice', summary: '### Annotations (5)' });
  assert.is(env.standIn.statusesOf(env.sha).at(-1)!.description, 'Approved by alice · 1 annotation', 'without annotationCount, what annotate() got; never the markdown');
});

test('fetchWorkflows reads .forgejo/workflows and .github/workflows (yml/yaml only) at the SHA; fetchFile', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const repo = { owner: 'acme', name: 'widget' };
  const files = await forge.fetchWorkflows(repo, env.sha);
  assert.equal(files.map((f) => f.path), ['.forgejo/workflows/ci.yml', '.github/workflows/lint.yaml']);
  assert.match(files[1]!.content, 'héllo ✓');
  // A later commit changes nothing at the old SHA.
  env.repo.write('.github/workflows/new.yml', 'on: push\n');
  const next = env.repo.commit('more');
  assert.is((await forge.fetchWorkflows(repo, env.sha)).length, 2);
  assert.is((await forge.fetchWorkflows(repo, next)).length, 3);
  assert.is(await forge.fetchFile(repo, env.sha, 'src/main.txt'), 'main\n');
  assert.is(await forge.fetchFile(repo, env.sha, 'src/missing.txt'), null);
  assert.is(await forge.fetchFile(repo, env.sha, 'src'), null, 'a directory is not a file');
  // Only .github: a repository without .forgejo/workflows.
  env.repo.git('rm', '-q', '-r', '.forgejo');
  const gh = env.repo.commit('no forgejo dir');
  assert.equal((await forge.fetchWorkflows(repo, gh)).map((f) => f.path), ['.github/workflows/lint.yaml', '.github/workflows/new.yml']);
  const used = new Set(env.standIn.requests.map((r) => r.operationId));
  assert.ok(used.has('repoGetContents'));
});

test('permissionOf maps owner/admin → admin, write, read, unknown → none', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const repo = { owner: 'acme', name: 'widget' };
  const seen = Object.fromEntries(await Promise.all(['acme', 'root', 'alice', 'carol', 'mallory'].map(async (u) => [u, await forge.permissionOf(repo, u)])));
  assert.equal(seen, { acme: 'admin', root: 'admin', alice: 'write', carol: 'read', mallory: 'none' });
});

test('cloneAccess: the clone URL Forgejo states and the token for trusted runs; git clones a private repository through http-backend with it, not without', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const standInRepo = env.standIn.o.repos[0]!;
  standInRepo.private = true;
  const access = await forge.cloneAccess({ owner: 'acme', name: 'widget' }, { trusted: true });
  assert.equal(access, { url: `${env.standIn.url}/acme/widget.git`, token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'helios-clone-'));
  try {
    // Asynchronous: the stand-in answers from this same process.
    const git = (header: string | null, ...args: string[]) =>
      promisify(execFile)('git', args, {
        cwd: dir,
        timeout: 20_000,
        env: { PATH: process.env.PATH, HOME: dir, GIT_TERMINAL_PROMPT: '0', ...(header ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header } : { GIT_CONFIG_COUNT: '0' }) },
      });
    await git(null, 'init', '-q', 'w');
    const refused = await git(null, '-C', 'w', 'fetch', '-q', '--depth=1', access.url, env.sha).then(() => null, (err: Error) => err);
    assert.ok(refused, 'a clone of a private repository without the token is refused');
    assert.ok(env.standIn.requests.some((r) => r.path === '/acme/widget.git/info/refs' && r.status === 401), 'refused by the auth check');
    // Exactly what the agent sends (agent/src/job.ts): Basic with the token as password.
    const basic = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${access.token}`).toString('base64')}`;
    await git(basic, '-C', 'w', 'fetch', '-q', '--depth=1', access.url, env.sha);
    await git(null, '-C', 'w', 'checkout', '-q', 'FETCH_HEAD');
    assert.is(readFileSync(join(dir, 'w/src/main.txt'), 'utf8'), 'main\n');
  } finally {
    standInRepo.private = false;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cloneAccess for untrusted runs never returns the (write-capable) token: cloneToken, else anonymous for public repositories, else an error saying to set cloneToken', async ({ env }) => {
  const repo = { owner: 'acme', name: 'widget' };
  const url = `${env.standIn.url}/acme/widget.git`;
  const plain = forgeFor(env.standIn.url);
  assert.equal(await plain.cloneAccess(repo, { trusted: false }), { url }, 'public: anonymous');
  assert.equal(await plain.cloneAccess(repo), { url }, 'no options counts as untrusted');
  const withReadToken = forgeFor(env.standIn.url, { cloneToken: 'read-only-token' });
  assert.equal(await withReadToken.cloneAccess(repo, { trusted: false }), { url, token: 'read-only-token' });
  assert.equal(await withReadToken.cloneAccess(repo, { trusted: true }), { url, token: 'read-only-token' }, 'trusted runs use the read-only token too');
  const standInRepo = env.standIn.o.repos[0]!;
  standInRepo.private = true;
  try {
    const err = await plain.cloneAccess(repo, { trusted: false }).then(() => null, (e: unknown) => e);
    assert.ok(isHeliosError(err), String(err));
    assert.is(err.code, 'E_FORGE_NO_READ_ONLY_CREDENTIAL');
    assert.is(err.retryable, false);
    assert.match(err.message, /cloneToken/);
    assert.not.match(err.message, TOKEN);
    assert.equal(await withReadToken.cloneAccess(repo, { trusted: false }), { url, token: 'read-only-token' });
  } finally {
    standInRepo.private = false;
  }
});

test('failures: 503 and connection resets are retryable, 4xx are permanent; the token never appears in errors', async ({ env }) => {
  const forge = forgeFor(env.standIn.url);
  const handle = await forge.openCheck(job(env.sha));
  env.standIn.down(60_000, '503');
  const down = await failure(forge.updateCheck(handle, { status: 'in_progress', title: 'Step 1/1: x', summary: '' }));
  assert.is(down.code, 'E_FORGE_UNAVAILABLE');
  assert.is(down.retryable, true);
  env.standIn.down(60_000, 'reset');
  const reset = await failure(forge.closeCheck(handle, { conclusion: 'success', title: 'Succeeded', summary: '' }));
  assert.is(reset.code, 'E_FORGE_UNAVAILABLE');
  env.standIn.up();
  const missing = await failure(forge.openCheck({ ...job(env.sha), repo: { owner: 'acme', name: 'nope' } }));
  assert.is(missing.code, 'E_FORGE_REJECTED');
  assert.is(missing.retryable, false);
  assert.is(missing.status, 404);
  const badToken = await failure(forgeFor(env.standIn.url, { token: 'wrong-token-value' }).openCheck(job(env.sha)));
  assert.is(badToken.code, 'E_FORGE_REJECTED');
  assert.is(badToken.status, 401);
  const unreachable = await failure(forgeFor('http://127.0.0.1:9').fetchWorkflows({ owner: 'acme', name: 'widget' }, env.sha));
  assert.is(unreachable.code, 'E_FORGE_UNAVAILABLE');
  for (const e of [down, reset, missing, badToken, unreachable]) assert.not.match(e.message, TOKEN);
  const handleMismatch = await failure(forge.updateCheck({ forge: 'other', id: 'x' }, { status: 'queued', title: 'Queued', summary: '' }));
  assert.is(handleMismatch.retryable, false);
});

test.run();
