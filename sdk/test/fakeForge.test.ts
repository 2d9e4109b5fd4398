import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '../src/errors.js';
import type { CheckJob } from '../src/interfaces/forge.js';
import { createFakeForge, forgeConformance } from '../src/testkit/index.js';

const repo = { owner: 'acme', name: 'widget', installationId: '7' };
const checkJob: CheckJob = { jobId: 'job-1', runId: 'run-1', repo, sha: 'abc123', workflowName: 'CI', jobName: 'build', detailsUrl: 'https://ci.example.org/jobs/job-1' };
const files = { '.github/workflows/ci.yml': 'on: push\njobs: {}\n', '.github/workflows/notes.txt': 'not a workflow', 'README.md': '# widget' };

// The fake forge passes the sdk's own Forge conformance suite.
forgeConformance('fake forge', {
  create: async () => ({ subject: createFakeForge({ files, permissions: { alice: 'write' } }) }),
  repo,
  sha: 'abc123',
  checkJob,
  user: 'alice',
  signedEvent: (f) => (f as ReturnType<typeof createFakeForge>).signedRequest('push', { repo, ref: 'refs/heads/main', before: '0', after: 'abc123', sender: 'alice' }),
  ignoredEvent: (f) => (f as ReturnType<typeof createFakeForge>).signedRequest('star', { action: 'created' }),
  badSignature: (f) => {
    const req = (f as ReturnType<typeof createFakeForge>).signedRequest('push', { repo });
    return { ...req, headers: { ...req.headers, 'x-fake-signature': 'sha256=' + '0'.repeat(64) } };
  },
  inspectCheck: async (f, handle) => {
    const c = (f as ReturnType<typeof createFakeForge>).checks.get(handle.id);
    return c ? { completed: c.status === 'completed', conclusion: c.result?.conclusion, annotations: c.annotations.length } : null;
  },
}).run();

async function rejects(p: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  try {
    await p;
    assert.unreachable(`expected ${code}`);
  } catch (err) {
    assert.ok(isHeliosError(err), String(err));
    assert.is(err.code, code);
    if (pattern) assert.match(err.message, pattern);
  }
}

test('rejects what a real forge rejects and records every call in order', async () => {
  const f = createFakeForge({ capabilities: { maxLogChars: 1000 } });
  const h = await f.openCheck(checkJob);
  await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 'x'.repeat(1001) }), 'E_FORGE_REJECTED', /summary is 1001/);
  await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's', text: 'x'.repeat(1001) }), 'E_FORGE_REJECTED', /text is 1001/);
  const many = Array.from({ length: 51 }, () => ({ level: 'notice' as const, message: 'm' }));
  await rejects(f.annotate(h, many), 'E_FORGE_REJECTED', /51 annotations/);
  await rejects(f.updateCheck({ forge: 'fake', id: '999' }, { status: 'in_progress', title: 't', summary: 's' }), 'E_FORGE_REJECTED', /unknown check handle/);
  await rejects(f.updateCheck({ ...h, forge: 'other' }, { status: 'in_progress', title: 't', summary: 's' }), 'E_FORGE_REJECTED', /unknown check handle/);
  await f.closeCheck(h, { conclusion: 'success', title: 'ok', summary: 'ok' });
  await rejects(f.updateCheck(h, { status: 'in_progress', title: 't', summary: 's' }), 'E_FORGE_REJECTED', /after close/);
  await rejects(f.annotate(h, many.slice(0, 1)), 'E_FORGE_REJECTED', /after close/);
  assert.equal(
    f.calls.map((c) => `${c.method}:${c.outcome}`),
    ['openCheck:ok', 'updateCheck:rejected', 'updateCheck:rejected', 'annotate:rejected', 'updateCheck:rejected', 'updateCheck:rejected', 'closeCheck:ok', 'updateCheck:rejected', 'annotate:rejected'],
  );
  assert.equal(f.checks.get(h.id)!.updates, [], 'a rejected update was applied');
  assert.is(f.checks.get(h.id)!.result!.conclusion, 'success');
});

test('failNext: N calls fail with 500s and are not applied; then calls succeed', async () => {
  const f = createFakeForge();
  const h = await f.openCheck(checkJob);
  f.failNext(2);
  const update = { status: 'in_progress' as const, title: 'Step 1/1: a', summary: 's' };
  await rejects(f.updateCheck(h, update), 'E_FORGE_UNAVAILABLE');
  await rejects(f.updateCheck(h, update), 'E_FORGE_UNAVAILABLE');
  await f.updateCheck(h, update);
  assert.is(f.checks.get(h.id)!.updates.length, 1);
  assert.equal(f.applied('updateCheck').length, 1);
  // Reads are unaffected by write failures.
  f.failNext(1);
  assert.equal(await f.fetchWorkflows(repo, 'x'), []);
});

test('failFor: a period of hanging calls by the injected clock, then heal', async () => {
  let now = 1000;
  const f = createFakeForge({ now: () => now });
  f.failFor(60_000, 'hang');
  let settled = false;
  void f.openCheck(checkJob).then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.not.ok(settled, 'a hung call settled');
  assert.is(f.calls[0]!.outcome, 'hung');
  assert.is(f.checks.size, 0, 'a hung open was applied');
  now += 60_000;
  await f.openCheck(checkJob);
  assert.is(f.checks.size, 1);
  f.failFor(10_000, 'error');
  f.heal();
  await f.openCheck(checkJob);
  assert.is(f.checks.size, 2);
});

test('serves files from the map; per-commit maps override; permissions default to none', async () => {
  const f = createFakeForge({ files, filesAt: { 'acme/widget@v2': { '.forgejo/workflows/a.yaml': 'x' } }, permissions: { alice: 'admin' } });
  assert.equal(await f.fetchWorkflows(repo, 'abc'), [{ path: '.github/workflows/ci.yml', content: files['.github/workflows/ci.yml'] }]);
  assert.equal(await f.fetchWorkflows(repo, 'v2'), [{ path: '.forgejo/workflows/a.yaml', content: 'x' }]);
  assert.is(await f.fetchFile(repo, 'abc', 'README.md'), '# widget');
  assert.is(await f.fetchFile(repo, 'v2', 'README.md'), null);
  assert.is(await f.permissionOf(repo, 'alice'), 'admin');
  assert.is(await f.permissionOf(repo, 'mallory'), 'none');
});

test.run();
