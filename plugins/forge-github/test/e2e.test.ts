import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadFixture, post, retarget, signedDelivery, TEST_WEBHOOK_SECRET, type Payload } from './helpers/fixtures.js';
import { Deployment, startServe, waitFor, type ServeProcess } from './helpers/serve.js';
import { createWorld, INSTALLATION, OWNER, type World } from './helpers/world.js';
import type { RecordedCheckRun } from './standIn/server.js';

// End to end: the real `helios serve` with this plugin, the local runtime and the GitHub stand-in.

const CI = `name: CI
on: [push, pull_request]
jobs:
  ok:
    runs-on: local
    steps:
      - run: |
          for i in 1 2 3; do echo "hello line $i"; done
          echo "::error file=src/a.ts,line=3,col=5::boom"
          echo "::warning::no file here"
      # A job's close supersedes its undelivered updates: on a loaded machine a job that ends at
      # once may never show in_progress on GitHub. Give the in_progress update time to go out.
      - run: sleep 3
  bad:
    runs-on: local
    steps:
      - run: echo "about to fail" && exit 3
`;
const SLOW = `name: CI
on: [push, pull_request]
jobs:
  slow:
    runs-on: local
    steps:
      - run: |
          echo started-slow
          if [ "$GITHUB_REF" = refs/heads/main ]; then sleep 30; else sleep 5; fi
`;

let w: World;
let d: Deployment;
let serve: ServeProcess;
let url: string;
let sha1: string;

const target = () => ({ owner: OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: INSTALLATION, appId: w.standIn.appId });

function checkSuiteRequested(sha: string, branch = 'main'): Payload {
  const p = retarget(loadFixture('check_suite.requested'), target());
  Object.assign(p.check_suite, { head_sha: sha, after: sha, before: '0'.repeat(40), head_branch: branch });
  return p;
}

function requestedAction(run: RecordedCheckRun, identifier: string, sender: string): Payload {
  const p = retarget(loadFixture('check_run.requested_action'), target());
  Object.assign(p.check_run, { id: run.id, external_id: run.external_id, head_sha: run.head_sha, name: run.name });
  p.requested_action.identifier = identifier;
  p.sender.login = sender;
  return p;
}

const deliver = (event: string, payload: Payload, deliveryId: string = randomUUID()) => post(`${url}/hooks/github`, signedDelivery(event, payload, { deliveryId }));

const runsOf = (sha: string) => w.standIn.runs().filter((r) => r.head_sha === sha);
const completed = (sha: string, n: number) => {
  const runs = runsOf(sha).filter((r) => r.status === 'completed');
  return runs.length >= n && runs;
};
const inboxCount = () => d.query<{ n: number }>('SELECT count(*) AS n FROM inbox')[0]?.n ?? 0;
const byName = (runs: RecordedCheckRun[], name: string) => runs.find((r) => r.name === name)!;

test.before(async () => {
  w = await createWorld({ files: { '.github/workflows/ci.yml': CI, 'src/a.ts': 'export {};\n' } });
  sha1 = w.sha;
  w.standIn.addRepo({ owner: 'mallory', name: 'widget', installationId: INSTALLATION, dir: w.repo.dir });
  d = new Deployment(w.standIn, TEST_WEBHOOK_SECRET);
  serve = startServe(d);
  url = await serve.url;
});

test.after(async () => {
  await serve?.stop();
  d?.cleanup();
  await w?.cleanup();
});

test('check_suite.requested → workflows from GitHub → jobs on the local runtime → check runs with log tail and annotations; a failing job fails its check', async () => {
  const res = await deliver('check_suite', checkSuiteRequested(sha1), 'suite-1');
  assert.is(res.status, 202);
  const runs = await waitFor('both checks to complete', () => completed(sha1, 2), 90_000);
  const ok = byName(runs, 'CI / ok');
  const bad = byName(runs, 'CI / bad');
  assert.is(ok.conclusion, 'success');
  assert.is(bad.conclusion, 'failure');
  const statuses = [...new Set(ok.history.map((h) => h.status))];
  assert.equal(statuses, ['queued', 'in_progress', 'completed'], 'queued → in_progress → completed');
  assert.match(ok.output.text ?? '', /hello line 3/);
  assert.match(bad.output.text ?? '', /about to fail/);
  assert.match(ok.output.summary ?? '', /\|/, 'a steps table');
  assert.ok(ok.details_url?.startsWith('http://ci.test/jobs/'));
  assert.equal(
    ok.annotations.map((a) => [a.path, a.start_line, a.annotation_level, a.message]),
    [
      ['src/a.ts', 3, 'failure', 'boom'],
      [ok.annotations[1]!.path, 1, 'warning', 'no file here'],
    ],
  );
  assert.equal(ok.actions.map((a) => a.identifier), ['rerun']);
  assert.equal(w.standIn.rejections, [], 'GitHub refused nothing');
  const job = d.jobs().find((j) => j.id === ok.external_id);
  assert.ok(job, 'the external id is the Helios job id');
});

test('a bad signature is 401 and nothing is stored; a replayed delivery starts nothing new', async () => {
  const before = inboxCount();
  const bad = signedDelivery('check_suite', checkSuiteRequested(sha1), { secret: 'not the secret' });
  assert.is((await post(`${url}/hooks/github`, bad)).status, 401);
  const replay = await deliver('check_suite', checkSuiteRequested(sha1), 'suite-1');
  assert.is(replay.status, 202);
  assert.is(((await replay.json()) as { status: string }).status, 'duplicate');
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(inboxCount(), before);
  assert.is(runsOf(sha1).length, 2, 'no second run');
  assert.is(d.jobs().length, 2);
});

test('Cancel and Re-run buttons (requested_action); a reader cannot re-run', async () => {
  w.repo.write('.github/workflows/ci.yml', SLOW);
  const sha2 = w.repo.commit('slow');
  assert.is((await deliver('check_suite', checkSuiteRequested(sha2))).status, 202);
  const slow = await waitFor('the slow job to run', () => runsOf(sha2).find((r) => r.status === 'in_progress' && /started-slow/.test(r.output.text ?? '')), 60_000);
  assert.equal(slow.actions.map((a) => a.identifier), ['cancel']);
  assert.is((await deliver('check_run', requestedAction(slow, 'cancel', 'bob'))).status, 202);
  await waitFor('the slow check to be cancelled', () => slow.status === 'completed' && slow, 30_000);
  assert.is(slow.conclusion, 'cancelled');

  const bad = byName(runsOf(sha1), 'CI / bad');
  const jobsBefore = d.jobs().length;
  assert.is((await deliver('check_run', requestedAction(bad, 'rerun', 'carol'))).status, 202);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(d.jobs().length, jobsBefore, 'a reader pressing Re-run runs nothing');
  assert.is((await deliver('check_run', requestedAction(bad, 'rerun', 'bob'))).status, 202);
  const again = await waitFor('the re-run check to complete', () => runsOf(sha1).find((r) => r.name === 'CI / bad' && r.id !== bad.id && r.status === 'completed'), 60_000);
  assert.is(again.conclusion, 'failure');
  assert.is.not(again.external_id, bad.external_id, 'a new job');
  assert.is(runsOf(sha1).filter((r) => r.name === 'CI / ok').length, 1, 'only that job ran again');
});

test('a fork pull request waits for approval: a reader is refused, a writer approves and it runs', async () => {
  const p = retarget(loadFixture('pull_request.opened'), target());
  Object.assign(p.pull_request.head, { sha: sha1, ref: 'feature' });
  p.pull_request.head.repo.full_name = 'mallory/widget';
  p.pull_request.head.repo.owner.login = 'mallory';
  p.pull_request.base.ref = 'main';
  p.pull_request.user.login = 'mallory';
  const before = runsOf(sha1).length;
  assert.is((await deliver('pull_request', p)).status, 202);
  const hold = await waitFor('the approval check', () => runsOf(sha1).find((r) => r.conclusion === 'action_required'), 30_000);
  assert.equal(hold.actions.map((a) => a.identifier), ['approve']);
  assert.match(hold.output.summary ?? '', /write/);
  assert.is(runsOf(sha1).length, before + 1, 'nothing runs on its own');

  assert.is((await deliver('check_run', requestedAction(hold, 'approve', 'carol'))).status, 202);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(hold.conclusion, 'action_required', 'a reader cannot approve');
  assert.is(runsOf(sha1).length, before + 1);

  assert.is((await deliver('check_run', requestedAction(hold, 'approve', 'bob'))).status, 202);
  await waitFor('the approval check to close', () => hold.conclusion === 'neutral', 30_000);
  assert.match(hold.output.title ?? '', /Approved by bob/);
  const prRuns = await waitFor('the approved jobs to complete', () => {
    const runs = runsOf(sha1).filter((r) => r.id > hold.id && r.status === 'completed');
    return runs.length >= 2 && runs;
  }, 90_000);
  assert.equal(prRuns.map((r) => r.name).sort(), ['CI / bad', 'CI / ok']);
});

test('a fork pull request pushed again: Approve on the older check runs nothing; an approval must name the held head', async () => {
  const forkPr = (sha: string, action: string) => {
    const p = retarget(loadFixture('pull_request.opened'), target());
    Object.assign(p.pull_request.head, { sha, ref: 'feature' });
    p.action = action;
    p.pull_request.head.repo.full_name = 'mallory/widget';
    p.pull_request.head.repo.owner.login = 'mallory';
    p.pull_request.base.ref = 'main';
    p.pull_request.user.login = 'mallory';
    p.pull_request.number = 9;
    p.number = 9;
    return p;
  };
  w.repo.write('.github/workflows/ci.yml', CI);
  w.repo.write('src/a.ts', 'export const reviewed = 1;\n');
  const shaA = w.repo.commit('reviewed');
  w.repo.write('src/a.ts', 'export const unreviewed = 2;\n');
  const shaB = w.repo.commit('unreviewed');
  const jobsBefore = d.jobs().length;
  assert.is((await deliver('pull_request', forkPr(shaA, 'opened'))).status, 202);
  const holdA = await waitFor('the first hold', () => runsOf(shaA).find((r) => r.conclusion === 'action_required'), 30_000);
  assert.is((await deliver('pull_request', forkPr(shaB, 'synchronize'))).status, 202);
  const holdB = await waitFor('the second hold', () => runsOf(shaB).find((r) => r.conclusion === 'action_required'), 30_000);
  await waitFor('the first hold to be superseded', () => holdA.conclusion === 'neutral', 30_000);
  assert.match(holdA.output.title ?? '', /Superseded/);

  // The button on the older check approved sha A, which no longer is the head.
  assert.is((await deliver('check_run', requestedAction(holdA, 'approve', 'bob'))).status, 202);
  // An approve naming the held check but another commit does not count either.
  assert.is((await deliver('check_run', requestedAction({ ...holdB, head_sha: shaA } as RecordedCheckRun, 'approve', 'bob'))).status, 202);
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(d.jobs().length, jobsBefore, 'nothing ran');
  assert.is(holdB.conclusion, 'action_required');
  assert.equal(d.query<{ head_sha: string; state: string }>('SELECT head_sha, state FROM approvals WHERE pr_number = 9 ORDER BY inbox_id'), [
    { head_sha: shaA, state: 'superseded' },
    { head_sha: shaB, state: 'pending' },
  ]);

  assert.is((await deliver('check_run', requestedAction(holdB, 'approve', 'bob'))).status, 202);
  await waitFor('the second hold to close', () => holdB.conclusion === 'neutral', 30_000);
  const ran = await waitFor('the approved jobs to complete', () => {
    const runs = runsOf(shaB).filter((r) => r.id > holdB.id && r.status === 'completed');
    return runs.length >= 2 && runs;
  }, 90_000);
  assert.equal(ran.map((r) => r.name).sort(), ['CI / bad', 'CI / ok']);
  assert.is(runsOf(shaA).filter((r) => r.id !== holdA.id).length, 0, 'sha A never ran');
});

test('GitHub answering 502 and then 403-rate-limited for a while: everything arrives afterwards', async () => {
  w.repo.write('.github/workflows/ci.yml', CI);
  const sha3 = w.repo.commit('again');
  const mark = w.standIn.requests.length;
  w.standIn.failFor(5000, 502);
  assert.is((await deliver('check_suite', checkSuiteRequested(sha3))).status, 202);
  await new Promise((r) => setTimeout(r, 5200));
  w.standIn.rateLimitFor(6000);
  const runs = await waitFor('both checks to complete after the outage', () => completed(sha3, 2), 120_000);
  const seen = w.standIn.requests.slice(mark);
  assert.ok(seen.some((r) => r.status === 502), 'there were 502s');
  assert.ok(seen.some((r) => r.status === 403), 'there were rate-limit 403s');
  assert.is(byName(runs, 'CI / ok').conclusion, 'success');
  assert.match(byName(runs, 'CI / ok').output.text ?? '', /hello line 3/);
  assert.is(byName(runs, 'CI / ok').annotations.length, 2);
  assert.is(byName(runs, 'CI / bad').conclusion, 'failure');
  assert.is(runs.length, 2, 'no duplicate check runs');
});

test('an installation token expiring mid-job: reporting continues with a new token', async () => {
  w.repo.write('.github/workflows/ci.yml', SLOW);
  const sha4 = w.repo.commit('slow on a branch');
  assert.is((await deliver('check_suite', checkSuiteRequested(sha4, 'topic'))).status, 202);
  const run = await waitFor('the job to run', () => runsOf(sha4).find((r) => r.status === 'in_progress'), 60_000);
  const tokens = w.standIn.tokens.size;
  w.standIn.expireTokens();
  await waitFor('the check to complete', () => run.status === 'completed', 60_000);
  assert.is(run.conclusion, 'success');
  assert.ok(w.standIn.tokens.size > tokens, 'a new token was fetched');
  assert.ok(w.standIn.requests.some((r) => r.status === 401), 'GitHub did refuse the expired token');
});

test.run();
