import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const repoRef = { owner: 'acme', name: 'widget', installationId: '7' };

/** A delivery's handling is over once the inbox row leaves `received` (planned or failed): the positive event that follows a refusal. */
const handled = (d: Deployment, deliveryId: string) =>
  waitFor(`delivery ${deliveryId} to be handled`, () => d.query<{ status: string }>('SELECT status FROM inbox WHERE delivery_id = ?', deliveryId).find((r) => r.status !== 'received'));

test('fork pull request: held for approval; a reader cannot approve; a writer can, and it runs without secrets', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/pr.yml', 'on: pull_request\njobs:\n  check:\n    runs-on: local\n    steps:\n      - run: echo "secret=[${{ secrets.DEPLOY_KEY }}]"\n');
  const sha = repo.commit();
  const d = new Deployment(repo, { permissions: { alice: 'write', bob: 'read' } });
  const serve = startServe(d.dir, [], { HELIOS_SECRET_DEPLOY_KEY: 'never-for-forks' });
  try {
    const url = await serve.url;
    const pr = { kind: 'pullRequest', repo: repoRef, number: 8, action: 'synchronize', head: { sha, ref: 'feature', repo: { owner: 'mallory', name: 'widget' } }, base: { ref: 'main' }, fromFork: true, author: 'mallory' };
    assert.is((await d.push(url, sha)).status, 202); // unrelated push: no pull_request workflow matches
    assert.is((await d.event(url, pr)).status, 202);
    const held = await waitFor('the approval check', () => d.forge().checks.find((c) => c.name === 'Approve and run'));
    assert.is(held.status, 'queued');
    assert.is(d.jobs().length, 0, 'nothing ran');

    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:8', sender: 'bob' }, 'approve-bob');
    await handled(d, 'approve-bob');
    assert.is(d.jobs().length, 0, 'a reader cannot approve');

    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:8', sender: 'alice' });
    const job = await waitFor('the approved job to succeed', () => d.jobs().find((j) => j.state === 'succeeded'), 60_000);
    assert.ok(d.log(job.id).includes('secret=[]'), 'a fork run gets no secrets');
    const approval = await waitFor('the approval check to close', () => d.forge().checks.find((c) => c.name === 'Approve and run' && c.status === 'completed'));
    assert.is(approval.result!.conclusion, 'neutral');
    assert.is(approval.result!.title, 'Approved by alice');
    // Approving again runs nothing more.
    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:8', sender: 'alice' }, 'approve-again');
    await handled(d, 'approve-again');
    assert.is(d.jobs().length, 1);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test('cancel and re-run buttons: only writers; cancel stops a running job, re-run makes a new one', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  slow:\n    runs-on: local\n    steps:\n      - run: echo "attempt at $(date +%s%N)"\n      - run: sleep ${{ github.event_name == \'push\' && 120 || 0 }}\n');
  const sha = repo.commit();
  const d = new Deployment(repo, { permissions: { alice: 'write', bob: 'read' } });
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    await d.push(url, sha);
    const running = await waitFor('the job to run', () => d.jobs().find((j) => j.state === 'running'));
    await d.event(url, { kind: 'cancel', repo: repoRef, checkId: running.id, sender: 'bob' }, 'cancel-bob');
    await handled(d, 'cancel-bob');
    assert.is(d.jobs()[0]!.state, 'running', 'a reader cannot cancel');
    // The first cancel reason of a job sticks, so "cancelled by alice" below also proves bob's did not count.
    await d.event(url, { kind: 'cancel', repo: repoRef, checkId: running.id, sender: 'alice' });
    const cancelled = await waitFor('the job to be cancelled', () => d.jobs().find((j) => j.state === 'cancelled'), 30_000);
    assert.match(cancelled.reason!, /cancelled by alice/);

    await d.event(url, { kind: 'rerun', repo: repoRef, checkId: running.id, scope: 'one', sender: 'alice' });
    const rerun = await waitFor('a second job', () => d.jobs().find((j) => j.id !== running.id && j.state === 'running'), 30_000);
    assert.is.not(rerun.run_id, running.run_id, 'the re-run is a new run');
    const checks = await waitFor('two checks', () => d.forge().checks.length === 2 && d.forge().checks);
    assert.is(checks.find((c) => c.jobId === running.id)!.status, 'completed');
    await d.event(url, { kind: 'cancel', repo: repoRef, checkId: rerun.id, sender: 'alice' });
    await waitFor('the re-run to be cancelled', () => d.jobs().find((j) => j.id === rerun.id && j.state === 'cancelled'), 30_000);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test('a bad signature is refused with 401 and stores nothing; a replayed delivery runs once', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  a:\n    runs-on: local\n    steps:\n      - run: "true"\n');
  const sha = repo.commit();
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    const bad = await fetch(`${url}/hooks/fake`, { method: 'POST', body: '{}', headers: { 'x-fake-event': 'push', 'x-fake-delivery': 'x', 'x-fake-signature': 'sha256=00' } });
    assert.is(bad.status, 401);
    assert.is((await bad.json()).error.code, 'E_SIGNATURE_INVALID');
    assert.equal(d.query('SELECT * FROM inbox'), []);
    const first = await d.push(url, sha, 'refs/heads/main', 'delivery-1');
    const again = await d.push(url, sha, 'refs/heads/main', 'delivery-1');
    assert.equal([first.status, again.status], [202, 202]);
    assert.is((await again.json()).status, 'duplicate');
    await waitFor('the job to succeed', () => d.jobs().find((j) => j.state === 'succeeded'), 30_000);
    assert.is(d.query('SELECT * FROM inbox').length, 1, 'the replay was never stored, so nothing can plan it later');
    assert.is(d.jobs().length, 1);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
