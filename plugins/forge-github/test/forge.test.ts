import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

// The stand-in runs in this process: git must run asynchronously or it would wait on itself.
const git = promisify(execFile);
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type CheckJob, type HeliosError } from '@helios-ci/sdk';
import { forgeConformance } from '@helios-ci/sdk/testkit';
import { loadFixture, retarget, signedDelivery } from './helpers/fixtures.js';
import { createWorld, INSTALLATION, OWNER, recordingLogger, type World } from './helpers/world.js';

const repoRef = { owner: OWNER, name: 'widget', installationId: String(INSTALLATION) };
const job = (w: World, over: Partial<CheckJob> = {}): CheckJob => ({
  jobId: `job-${Math.random().toString(36).slice(2)}`,
  runId: 'run-1',
  repo: repoRef,
  sha: w.sha,
  workflowName: 'CI',
  jobName: 'build (linux, 20)',
  detailsUrl: 'http://ci.test/jobs/1',
  workflowFile: '.github/workflows/ci.yml',
  ...over,
});

async function rejects(p: Promise<unknown>): Promise<HeliosError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
    return err;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

// ── the sdk's Forge conformance suite against the stand-in ──────────────────────────────────────
let shared: World | null = null;
const world = async () => (shared ??= await createWorld());
const pushFixture = async () => {
  const w = await world();
  return retarget(loadFixture('push'), { owner: OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: INSTALLATION, appId: w.standIn.appId });
};
const conformance = forgeConformance('forge-github against the GitHub stand-in', {
  create: async () => ({ subject: (await world()).forge() }),
  repo: repoRef,
  get sha() {
    return shared!.sha;
  },
  get checkJob() {
    return job(shared!);
  },
  user: 'bob',
  signedEvent: async () => signedDelivery('push', await pushFixture()),
  ignoredEvent: async () => signedDelivery('watch', { action: 'started' }),
  badSignature: async () => signedDelivery('push', await pushFixture(), { secret: 'wrong secret' }),
  async inspectCheck(_f, handle) {
    const run = shared!.standIn.checkRuns.get(Number(handle.id));
    return run ? { completed: run.status === 'completed', conclusion: run.conclusion ?? undefined, annotations: run.annotations.length } : null;
  },
});
conformance.before(async () => void (await world()));
conformance.after(() => {
  assert.equal(shared!.standIn.rejections, [], 'the stand-in refused no request of the plugin');
});
conformance.run();

// ── behaviour beyond the conformance suite ────────────────────────────────────────────────────────
function scenario(name: string, fn: (w: World) => Promise<void>, options: Parameters<typeof createWorld>[0] = {}) {
  test(name, async () => {
    const w = await createWorld(options);
    try {
      await fn(w);
    } finally {
      await w.cleanup();
    }
  });
}

scenario('a job check: named from the template, queued → in_progress → completed, with external id, details url and buttons', async (w) => {
  const f = w.forge();
  const j = job(w);
  const handle = await f.openCheck(j);
  const run = w.standIn.checkRuns.get(Number(handle.id))!;
  assert.is(run.name, 'CI / build (linux, 20)');
  assert.is(run.external_id, j.jobId);
  assert.is(run.details_url, j.detailsUrl);
  assert.is(run.head_sha, w.sha);
  assert.is(run.status, 'queued');
  assert.equal(run.actions.map((a) => a.identifier), ['cancel']);
  await f.updateCheck(handle, { status: 'in_progress', title: 'Step 1/2: build', summary: '| # | step |', text: 'line 1' });
  assert.is(run.status, 'in_progress');
  assert.is(run.output.text, 'line 1');
  await f.annotate(handle, [{ level: 'failure', message: 'bad', file: 'src/a.ts', line: 2, col: 3 }, { level: 'warning', message: 'no file' }]);
  assert.equal(run.annotations, [
    { path: 'src/a.ts', start_line: 2, end_line: 2, start_column: 3, end_column: 3, annotation_level: 'failure', message: 'bad' },
    { path: '.github/workflows/ci.yml', start_line: 1, end_line: 1, annotation_level: 'warning', message: 'no file' },
  ]);
  assert.is(run.output.title, 'Step 1/2: build', 'annotating keeps the title');
  assert.is(run.output.text, 'line 1', 'annotating keeps the log tail');
  await f.closeCheck(handle, { conclusion: 'timed_out', title: 'Timed out', summary: 'took too long', text: 'tail' });
  assert.is(run.status, 'completed');
  assert.is(run.conclusion, 'timed_out');
  assert.equal(run.actions.map((a) => a.identifier), ['rerun']);
  assert.equal(run.history.map((h) => h.status), ['queued', 'in_progress', 'in_progress', 'completed']);
  assert.equal(w.standIn.rejections, []);
});

scenario('every Helios conclusion is accepted by GitHub', async (w) => {
  const f = w.forge();
  for (const conclusion of ['success', 'failure', 'cancelled', 'timed_out', 'action_required', 'neutral', 'skipped'] as const) {
    const h = await f.openCheck(job(w));
    await f.closeCheck(h, { conclusion, title: conclusion, summary: conclusion });
    assert.is(w.standIn.checkRuns.get(Number(h.id))!.conclusion, conclusion);
  }
  assert.equal(w.standIn.rejections, []);
});

scenario('an approval check: completed, action_required, "Approve and run"; closing it removes the button', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w, { jobId: 'approval-7', workflowName: 'Helios', jobName: 'Approve and run', awaitingApproval: true }));
  const run = w.standIn.checkRuns.get(Number(h.id))!;
  assert.is(run.status, 'completed');
  assert.is(run.conclusion, 'action_required');
  assert.is(run.output.title, 'Waiting for approval');
  assert.match(run.output.summary!, /write/);
  assert.equal(run.actions, [{ label: 'Approve and run', description: 'Run this fork PR (writers only)', identifier: 'approve' }]);
  await f.closeCheck(h, { conclusion: 'neutral', title: 'Approved by bob', summary: 'ok' });
  assert.is(run.conclusion, 'neutral');
  assert.equal(run.actions, []);
});

scenario('openCheck and annotate are idempotent when re-sent (crash between answer and commit)', async (w) => {
  const f = w.forge();
  const j = job(w);
  const a = await f.openCheck(j);
  const b = await w.forge().openCheck(j); // a new process: nothing in memory
  assert.is(b.id, a.id);
  assert.is(w.standIn.runs(j.jobId).length, 1);
  const batch = Array.from({ length: 50 }, (_, i) => ({ level: 'notice' as const, message: `n${i}`, file: 'f.txt', line: i + 1 }));
  await f.annotate(a, batch);
  await f.annotate(a, batch);
  assert.is(w.standIn.checkRuns.get(Number(a.id))!.annotations.length, 50);
  await f.annotate(a, [...batch, { level: 'notice', message: 'new', file: 'f.txt', line: 99 }]);
  assert.is(w.standIn.checkRuns.get(Number(a.id))!.annotations.length, 51);
});

scenario('with alreadySent, a re-sent batch that landed is recognised from the count: no listing, nothing twice', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  const batch = (from: number) => Array.from({ length: 50 }, (_, i) => ({ level: 'notice' as const, message: `n${from + i}`, file: 'f.txt', line: i + 1 }));
  const mark = w.standIn.requests.length;
  await f.annotate(h, batch(0), { alreadySent: 0 });
  await f.annotate(h, batch(50), { alreadySent: 50 });
  await f.annotate(h, batch(50), { alreadySent: 50 }); // its answer was lost: sent again
  const run = w.standIn.checkRuns.get(Number(h.id))!;
  assert.equal(run.annotations.map((a) => a.message), [...batch(0), ...batch(50)].map((a) => a.message));
  const seen = w.standIn.requests.slice(mark);
  assert.is(seen.filter((r) => r.path.endsWith('/annotations')).length, 0, 'nothing listed');
  assert.is(seen.filter((r) => r.annotations?.length).length, 2, 'one PATCH per new batch');
});

scenario('more than 50 annotations in one call are sent in batches of 50', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  await f.annotate(h, Array.from({ length: 120 }, (_, i) => ({ level: 'warning' as const, message: `w${i}`, file: 'f.txt', line: i + 1 })));
  assert.is(w.standIn.checkRuns.get(Number(h.id))!.annotations.length, 120);
  assert.equal(w.standIn.rejections, []);
});

scenario('oversized summary and text are cut to 65,535 rather than refused', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  await f.updateCheck(h, { status: 'in_progress', title: 'big', summary: 's'.repeat(70_000), text: 't'.repeat(70_000) + 'END' });
  const run = w.standIn.checkRuns.get(Number(h.id))!;
  assert.is(run.output.summary!.length, 65_535);
  assert.ok(run.output.text!.endsWith('END'));
  assert.equal(w.standIn.rejections, []);
});

scenario('fetchWorkflows reads .github/workflows at the sha; none → []; fetchFile null when absent', async (w) => {
  const f = w.forge();
  const files = await f.fetchWorkflows(repoRef, w.sha);
  assert.equal(files, [{ path: '.github/workflows/ci.yml', content: w.repo.git('show', `${w.sha}:.github/workflows/ci.yml`) + '\n' }]);
  assert.is(await f.fetchFile(repoRef, w.sha, 'README.md'), '# widget\n');
  assert.is(await f.fetchFile(repoRef, w.sha, 'nope.txt'), null);
  assert.is(await f.fetchFile(repoRef, w.sha, '.github'), null, 'a directory is not a file');
  // Remote reusable workflows are read by ref (branch or tag); a ref that does not exist is absent (404), not a failure.
  assert.is(await f.fetchFile(repoRef, 'no-such-ref', 'README.md'), null);
  w.repo.git('rm', '-q', '-r', '.github');
  const bare = w.repo.commit('no workflows');
  assert.equal(await f.fetchWorkflows(repoRef, bare), []);
  assert.is((await f.fetchWorkflows(repoRef, w.sha)).length, 1, 'the older commit still has its workflow');
  // Without an installation id on the RepoRef the forge asks GitHub (App JWT) which installation it is.
  assert.is((await f.fetchWorkflows({ owner: OWNER, name: 'widget' }, w.sha)).length, 1);
});

scenario('permissionOf: admin/maintain → admin, write, triage/read → read, unknown → none', async (w) => {
  const f = w.forge();
  const got = Object.fromEntries(await Promise.all(['alice', 'dave', 'bob', 'erin', 'carol', 'zed'].map(async (u) => [u, await f.permissionOf(repoRef, u)])));
  assert.equal(got, { alice: 'admin', dave: 'admin', bob: 'write', erin: 'read', carol: 'read', zed: 'none' });
});

scenario('cloneAccess: a one-repository contents:read token that clones over git smart HTTP and can write nothing', async (w) => {
  const f = w.forge();
  const access = await f.cloneAccess(repoRef, { trusted: false });
  // What Helios asks for, not only what it is given: this one repository, contents read-only.
  const asked = w.standIn.tokenRequests.filter((r) => Array.isArray(r.body.repositories));
  assert.equal(asked.map((r) => ({ repositories: r.body.repositories, permissions: r.body.permissions })), [{ repositories: ['widget'], permissions: { contents: 'read' } }]);
  assert.is(access.url, `${w.standIn.url}/acme/widget.git`);
  assert.ok(access.token && access.expiresAt);
  const t = w.standIn.tokens.get(access.token!)!;
  assert.equal(t.repositories, ['widget']);
  assert.equal(t.permissions, { contents: 'read', metadata: 'read' });
  // The agent's way: the token in an Authorization header (never in the URL or argv).
  const dir = mkdtempSync(join(tmpdir(), 'helios-gh-clone-'));
  try {
    const basic = Buffer.from(`x-access-token:${access.token}`).toString('base64');
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` };
    execFileSync('git', ['init', '-q', dir]);
    await git('git', ['-C', dir, 'fetch', '-q', '--depth', '1', access.url, w.sha], { env });
    assert.is(execFileSync('git', ['-C', dir, 'rev-parse', 'FETCH_HEAD'], { encoding: 'utf8' }).trim(), w.sha);
    // Without the header the clone is refused.
    const denied = await git('git', ['-C', dir, 'fetch', '-q', access.url, w.sha], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).then(
      () => false,
      () => true,
    );
    assert.ok(denied, 'a clone without the token is refused');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const res = await fetch(`${w.standIn.apiUrl}/repos/acme/widget/check-runs`, { method: 'POST', headers: { authorization: `token ${access.token}` }, body: JSON.stringify({ name: 'x', head_sha: w.sha }) });
  assert.is(res.status, 403, 'the clone token cannot create check runs');
  const again = await f.cloneAccess(repoRef, { trusted: true });
  assert.is(again.token, access.token, 'the scoped token is cached (trusted runs get the same narrow token)');
});

scenario('an installation token expiring early (401) is replaced and the call succeeds', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  const issued = w.standIn.tokens.size;
  w.standIn.expireTokens();
  await f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' });
  assert.is(w.standIn.checkRuns.get(Number(h.id))!.status, 'in_progress');
  assert.is(w.standIn.tokens.size, issued + 1, 'one new token');
});

scenario('tokens are refreshed before they expire (10 minutes of margin)', async (w) => {
  w.standIn.tokenTtlMs = 9 * 60_000; // every token is already within the margin
  const f = w.forge();
  const h = await f.openCheck(job(w));
  const before = w.standIn.tokens.size;
  await f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' });
  assert.is(w.standIn.tokens.size, before + 1, 'a token near its expiry is not reused');
});

scenario('GitHub answering 502: a retryable E_FORGE_UNAVAILABLE (after plugin-retry), then success', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  w.standIn.failFor(60_000, 502);
  const err = await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' }));
  assert.is(err.code, 'E_FORGE_UNAVAILABLE');
  assert.is(err.retryable, true);
  const patches = w.standIn.requests.filter((r) => r.method === 'PATCH' && r.status === 502).length;
  assert.is(patches, 3, 'the PATCH was tried 1 + 2 times');
  const creates = w.standIn.requests.length;
  const openErr = await rejects(f.openCheck(job(w)));
  assert.is(openErr.code, 'E_FORGE_UNAVAILABLE');
  assert.is(w.standIn.requests.slice(creates).filter((r) => r.method === 'POST').length, 0, 'the lookup before a create failed first');
  w.standIn.failFor(0);
  await f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' });
});

scenario('a secondary rate limit (403 + retry-after) surfaces at once as E_FORGE_RATE_LIMITED with retryAfterMs', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  w.standIn.rateLimitFor(30_000);
  const started = Date.now();
  const err = await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' }));
  assert.ok(Date.now() - started < 5000, 'not waited out inside the plugin');
  assert.is(err.code, 'E_FORGE_RATE_LIMITED');
  assert.ok(err.retryAfterMs! >= 29_000 && err.retryAfterMs! <= 30_000, String(err.retryAfterMs));
});

scenario('the stand-in limits content creation to 80 a minute per installation', async (w) => {
  const f = w.forge();
  const h = await f.openCheck(job(w));
  // The plugin paces writes (1 s apart); talk to the stand-in directly to hit the limit quickly.
  const token = (await f.cloneAccess(repoRef)) && [...w.standIn.tokens.values()].find((t) => t.repositories === null)!.token;
  const patch = () => fetch(`${w.standIn.apiUrl}/repos/acme/widget/check-runs/${h.id}`, { method: 'PATCH', headers: { authorization: `token ${token}` }, body: JSON.stringify({ status: 'in_progress' }) });
  const statuses: number[] = [];
  for (let i = 0; i < 82; i++) statuses.push((await patch()).status);
  const refused = statuses.filter((s) => s === 403).length;
  assert.is(refused, 82 - 79, 'one content-creating request (the create) was already counted');
  const last = await patch();
  assert.is(last.status, 403);
  assert.ok(Number(last.headers.get('retry-after')) > 0);
  assert.is(last.headers.get('x-ratelimit-resource'), 'core');
  assert.is(w.standIn.maxContentPerWindow(INSTALLATION), 80);
});

scenario('nothing secret is logged or put in errors', async (w) => {
  const logger = recordingLogger();
  const f = w.forge({ logger });
  const h = await f.openCheck(job(w));
  w.standIn.expireTokens();
  await f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' });
  w.standIn.failFor(60_000, 502);
  const e1 = await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' }));
  w.standIn.failFor(0);
  const e2 = await rejects(f.closeCheck({ ...h, data: { ...h.data, checkRunId: 999_999 } }, { conclusion: 'success', title: 't', summary: 's' }));
  assert.is(e2.code, 'E_FORGE_REJECTED');
  const secrets = [...w.standIn.tokens.keys(), w.standIn.privateKeyPem.split('\n')[1]!, 'helios-test-webhook-secret'];
  const text = [...logger.lines, e1.message, e2.message, JSON.stringify(e1), JSON.stringify(e2)].join('\n');
  for (const s of secrets) assert.not.ok(text.includes(s), 'a secret leaked');
});

scenario('a handle from another forge is refused permanently', async (w) => {
  const err = await rejects(w.forge().updateCheck({ forge: 'other', id: '1', data: {} }, { status: 'in_progress', title: 't', summary: 's' }));
  assert.is(err.code, 'E_FORGE_REJECTED');
});

test.after(async () => {
  await shared?.cleanup();
});
test.run();
