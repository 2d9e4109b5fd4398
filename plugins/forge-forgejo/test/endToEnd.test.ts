// End to end with a real `helios serve`, the local runtime and this plugin against the Forgejo
// stand-in: what a Forgejo user sees as commit statuses for pushes, failures, outages and fork PRs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForgejoStandIn, type RecordedStatus } from './standIn/server.js';
import { commentPayload, fixtureDelivery, fixturePayload } from './helpers/fixtures.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { DEPLOY_SECRET, Deployment, deliveryOf, forkPullRequestPayload, pushPayload, waitFor } from './helpers/deployment.js';
import { WAITING_FOR_APPROVAL } from '../src/statuses.js';

const final = (s: RecordedStatus | undefined) => s && s.state !== 'pending';

/** Runs `body` with a repository, a stand-in serving it and a started deployment; stops all of them. */
async function withDeployment(
  setup: (repo: GitRepo) => void,
  body: (env: { repo: GitRepo; standIn: ForgejoStandIn; d: Deployment; sha: string }) => Promise<void>,
  extraRepos: (repo: GitRepo) => { owner: string; name: string; dir: string; id: number; parent?: string }[] = () => [],
): Promise<void> {
  const repo = new GitRepo();
  setup(repo);
  const sha = repo.commit('initial');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }, ...extraRepos(repo)], permissions: { acme: 'owner', alice: 'write', carol: 'read' } });
    d = new Deployment(standIn.url);
    await d.start();
    await body({ repo, standIn, d, sha });
    assert.equal(standIn.selfProblems, [], 'the stand-in answered outside the swagger');
    // The token reaches Forgejo and the agent only: never serve's output or a job log.
    assert.not.match(d.output(), TOKEN);
    for (const job of d.jobs()) assert.not.match(d.log(job.id).join('\n'), TOKEN);
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    repo.cleanup();
  }
}

test('push: bad signature 401 (nothing stored); statuses pending → "Step n/m" → success/failure with target_url; a replay runs nothing twice', async () => {
  await withDeployment(
    (repo) =>
      repo.write(
        '.forgejo/workflows/ci.yml',
        `name: CI
on: push
jobs:
  build:
    runs-on: local
    steps:
      - name: compile
        run: echo compiling && sleep 1
      - name: unit tests
        run: sleep 1
      - name: show secret
        run: echo "secret=\${{ secrets.DEPLOY_KEY }}"
  broken:
    runs-on: local
    steps:
      - name: lint
        run: echo "::error file=src/a.ts,line=3::unused variable" && exit 3
`,
      ),
    async ({ standIn, d, sha }) => {
      const delivery = deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'push-1' });
      const forged = { headers: { ...delivery.headers, 'x-forgejo-signature': 'f'.repeat(64), 'x-gitea-signature': 'f'.repeat(64) }, rawBody: delivery.rawBody };
      assert.is((await d.deliver(forged)).status, 401);
      assert.equal(d.inbox(), [], 'a refused delivery is not stored');

      const first = await d.deliver(delivery);
      assert.is(first.status, 202);
      assert.is(((await first.json()) as { status: string }).status, 'accepted');
      const replay = await d.deliver(delivery);
      assert.is(replay.status, 202);
      assert.is(((await replay.json()) as { status: string }).status, 'duplicate');

      const jobs = await waitFor('both jobs to finish', () => {
        const js = d.jobs();
        return js.length === 2 && js.every((j) => j.finished_at !== null) && js;
      });
      const build = jobs.find((j) => j.name === 'build')!;
      const broken = jobs.find((j) => j.name === 'broken')!;
      assert.equal([build.state, broken.state], ['succeeded', 'failed']);
      const buildStatuses = await waitFor('the final build status', () => final(standIn.statusesOf(sha, 'helios/CI/build').at(-1)) && standIn.statusesOf(sha, 'helios/CI/build'));
      const brokenStatuses = await waitFor('the final broken status', () => final(standIn.statusesOf(sha, 'helios/CI/broken').at(-1)) && standIn.statusesOf(sha, 'helios/CI/broken'));

      assert.equal(buildStatuses[0]!.state, 'pending');
      assert.is(buildStatuses[0]!.description, 'Queued');
      const running = buildStatuses.filter((s) => /^Step \d+\/\d+: /.test(s.description));
      assert.ok(running.length >= 1, `no "Step n/m" description among ${JSON.stringify(buildStatuses.map((s) => s.description))}`);
      assert.ok(running.every((s) => s.state === 'pending'));
      assert.ok(running.some((s) => /: (compile|unit tests|show secret)$/.test(s.description)), 'descriptions name the steps');
      assert.equal(buildStatuses.slice(0, -1).map((s) => s.state), buildStatuses.slice(0, -1).map(() => 'pending'), 'only the last status is final');
      assert.equal([buildStatuses.at(-1)!.state, buildStatuses.at(-1)!.description], ['success', 'Succeeded']);
      for (const s of buildStatuses) assert.is(s.target_url, `http://ci.test/jobs/${build.id}`);

      const last = brokenStatuses.at(-1)!;
      assert.is(last.state, 'failure');
      assert.match(last.description, /^Failed at Step \d+\/\d+: lint · 1 annotation$/);
      assert.is(last.target_url, `http://ci.test/jobs/${broken.id}`);

      // The replay made no second run; the secret reached the trusted run, masked in its log.
      assert.is(d.query<{ n: number }>('SELECT count(*) AS n FROM runs')[0]!.n, 1);
      assert.is(d.inbox().length, 1);
      const log = d.log(build.id).join('\n');
      assert.match(log, /secret=\S+/);
      assert.not.match(log, DEPLOY_SECRET);
      // The agent cloned the stand-in on the host's loopback through the egress proxy (the way out of the sandbox).
      assert.match(log, `egress | GET ${new URL(standIn.url).host} allowed`);

      // The recorded fixture deliveries are accepted by the real route too (their commits are not in
      // this repository, so nothing runs: no workflow at an unknown commit).
      for (const name of ['push.json', 'pull_request.json'] as const) {
        const res = await d.deliver(fixtureDelivery(name));
        assert.is(res.status, 202, name);
      }
      await waitFor('the fixture deliveries to be planned', () => d.inbox().length === 3 && d.inbox().every((r) => r.status !== 'received'));
      assert.is(d.jobs().length, 2);
    },
  );
});

test('Forgejo down for a while (503, then connection resets): statuses arrive afterwards, in order, the final one last', async () => {
  await withDeployment(
    (repo) => repo.write('.github/workflows/ci.yml', 'name: CI\non: push\njobs:\n  slow:\n    runs-on: local\n    steps:\n      - run: echo started-step-one && sleep 1\n      - run: sleep 1\n      - run: sleep 1\n'),
    async ({ standIn, d, sha }) => {
      assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.github/workflows/ci.yml'])))).status, 202);
      await waitFor('the queued status', () => standIn.statusesOf(sha, 'helios/CI/slow').length > 0);
      // Forgejo also serves the clone: go down once the job has its code and runs.
      await waitFor('the first step to run', () => d.jobs().some((j) => d.log(j.id).includes('started-step-one')));
      // Both windows end at fixed times set up front: a late timer in the test must neither open a
      // gap between the two outages nor stretch what the test counts as "during" past the real end.
      const outageStart = Date.now();
      const outageEnd = outageStart + 5000;
      standIn.downUntilTime(outageEnd, '503');
      await new Promise((r) => setTimeout(r, 2500));
      standIn.downUntilTime(outageEnd, 'reset');
      await new Promise((r) => setTimeout(r, Math.max(0, outageEnd - Date.now())));
      const job = await waitFor('the job to finish', () => d.jobs().find((j) => j.finished_at !== null));
      assert.is(job.state, 'succeeded');
      assert.ok(job.finished_at! < outageEnd, 'the job finished while Forgejo was down');
      const statuses = await waitFor('the final status', () => final(standIn.statusesOf(sha, 'helios/CI/slow').at(-1)) && standIn.statusesOf(sha, 'helios/CI/slow'));
      const failedTries = standIn.requests.filter((r) => r.at >= outageStart && r.at < outageEnd && r.operationId === undefined && (r.status === 503 || r.status === 0));
      assert.ok(failedTries.length >= 1, 'Helios tried during the outage');
      assert.ok(statuses.every((s) => s.at < outageStart || s.at >= outageEnd), 'nothing was recorded while down');
      const after = statuses.filter((s) => s.at >= outageEnd);
      assert.ok(after.length >= 1, 'statuses arrived after the outage');
      assert.equal([statuses.at(-1)!.state, statuses.at(-1)!.description], ['success', 'Succeeded']);
      assert.ok(statuses.slice(0, -1).every((s) => s.state === 'pending'), 'the final status is the last one');
      const times = statuses.map((s) => s.at);
      assert.equal(times, [...times].sort((a, b) => a - b), 'in order');
      // Nothing more arrives later (no stale update after the final status).
      await new Promise((r) => setTimeout(r, 1000));
      assert.is(standIn.statusesOf(sha, 'helios/CI/slow').length, statuses.length);
    },
  );
});

test('fork pull request: waits for approval (no job); "/helios approve" by a reader does nothing, by a writer runs it without secrets', async () => {
  let fork: GitRepo | null = null;
  let headSha = '';
  try {
    await withDeployment(
      (repo) => repo.write('.github/workflows/pr.yml', 'name: CI\non: pull_request\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo "secret=[${{ secrets.DEPLOY_KEY }}]"\n'),
      async ({ repo, standIn, d }) => {
        // Forgejo keeps a fork PR's head in the base repository as refs/pull/N/head.
        repo.git('fetch', '-q', fork!.dir, `main:refs/pull/8/head`);
        const delivery = deliveryOf('pull_request', forkPullRequestPayload(8, headSha), { eventType: 'pull_request' });
        assert.is((await d.deliver(delivery)).status, 202);
        const waiting = await waitFor('the approval status', () => standIn.statusesOf(headSha).find((s) => s.description === WAITING_FOR_APPROVAL));
        assert.is(waiting.state, 'pending');
        assert.is(waiting.context, 'helios/Helios/Approve and run');
        assert.is(waiting.repo, 'acme/widget');
        assert.equal(d.jobs(), [], 'no job ran before approval');

        const repository = fixturePayload('pull_request_synchronized.json').repository;
        assert.is((await d.deliver(deliveryOf('issue_comment', commentPayload(8, '/helios approve', 'carol', repository), { eventType: 'pull_request_comment', deliveryId: 'carol-1' }))).status, 202);
        await waitFor('the reader\'s approval to be processed', () => d.inbox().find((r) => r.delivery_id === 'carol-1' && r.status !== 'received'));
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(d.jobs(), [], 'a reader cannot approve');
        assert.equal(d.query<{ state: string }>('SELECT state FROM approvals').map((r) => r.state), ['pending']);

        assert.is((await d.deliver(deliveryOf('issue_comment', commentPayload(8, ' /helios approve ', 'alice', repository), { eventType: 'pull_request_comment', deliveryId: 'alice-1' }))).status, 202);
        const job = await waitFor('the approved job to finish', () => d.jobs().find((j) => j.finished_at !== null));
        assert.is(job.state, 'succeeded');
        const statuses = await waitFor('the job\'s final status', () => final(standIn.statusesOf(headSha, 'helios/CI/build').at(-1)) && standIn.statusesOf(headSha, 'helios/CI/build'));
        assert.equal([statuses.at(-1)!.state, statuses.at(-1)!.target_url], ['success', `http://ci.test/jobs/${job.id}`]);
        const log = d.log(job.id).join('\n');
        assert.match(log, 'secret=[]', 'the fork run got no secret');
        assert.match(log, `egress | GET ${new URL(standIn.url).host} allowed`, 'egress none, yet its clone origin goes through');
        assert.not.match(log, DEPLOY_SECRET);
        const approval = await waitFor('the approval status to close', () => final(standIn.statusesOf(headSha, 'helios/Helios/Approve and run').at(-1)) && standIn.statusesOf(headSha, 'helios/Helios/Approve and run').at(-1));
        assert.equal([approval.state, approval.description], ['success', 'Approved by alice']);
        assert.equal(d.query<{ state: string; decided_by: string }>('SELECT state, decided_by FROM approvals'), [{ state: 'approved', decided_by: 'alice' }]);
      },
      (repo) => {
        fork = new GitRepo('widget', repo);
        fork.write('README.md', 'fixed typo\n');
        headSha = fork.commit('Fix typo in README');
        return [{ owner: 'bob', name: 'widget', dir: fork.dir, id: 57, parent: 'acme/widget' }];
      },
    );
  } finally {
    (fork as GitRepo | null)?.cleanup();
  }
});

test('fork pull request: an approval written before a newer push does not run the newer head; a new approval does', async () => {
  let fork: GitRepo | null = null;
  let sha1 = '';
  try {
    await withDeployment(
      (repo) => repo.write('.github/workflows/pr.yml', 'name: CI\non: pull_request\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo "built $GITHUB_SHA"\n'),
      async ({ repo, standIn, d }) => {
        repo.git('fetch', '-q', fork!.dir, `main:refs/pull/8/head`);
        const opened = forkPullRequestPayload(8, sha1) as { pull_request: Record<string, unknown> };
        opened.pull_request.updated_at = '2025-06-11T11:00:00Z';
        assert.is((await d.deliver(deliveryOf('pull_request', opened, { eventType: 'pull_request' }))).status, 202);
        await waitFor('the first hold', () => standIn.statusesOf(sha1).find((s) => s.description === WAITING_FOR_APPROVAL));

        // The contributor pushes again at 12:30; the reviewer's comment of 12:00 (about sha1) arrives after it.
        fork!.write('README.md', 'fixed typo, and something unreviewed\n');
        const sha2 = fork!.commit('unreviewed');
        repo.git('fetch', '-q', '-f', fork!.dir, `+main:refs/pull/8/head`);
        const pushed = forkPullRequestPayload(8, sha2, 'synchronized') as { pull_request: Record<string, unknown> };
        pushed.pull_request.updated_at = '2025-06-11T12:30:00Z';
        assert.is((await d.deliver(deliveryOf('pull_request', pushed, { eventType: 'pull_request' }))).status, 202);
        await waitFor('the second hold', () => standIn.statusesOf(sha2).find((s) => s.description === WAITING_FOR_APPROVAL));

        const repository = fixturePayload('pull_request_synchronized.json').repository;
        const early = commentPayload(8, '/helios approve', 'alice', repository) as { comment: Record<string, unknown> };
        early.comment.created_at = '2025-06-11T12:00:00Z';
        assert.is((await d.deliver(deliveryOf('issue_comment', early, { eventType: 'pull_request_comment', deliveryId: 'alice-early' }))).status, 202);
        await waitFor('the early approval to be processed', () => d.inbox().find((r) => r.delivery_id === 'alice-early' && r.status !== 'received'));
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(d.jobs(), [], 'an approval written before the push approves nothing newer');
        assert.equal(d.query<{ head_sha: string; state: string }>('SELECT head_sha, state FROM approvals ORDER BY inbox_id'), [
          { head_sha: sha1, state: 'superseded' },
          { head_sha: sha2, state: 'pending' },
        ]);

        const late = commentPayload(8, '/helios approve', 'alice', repository) as { comment: Record<string, unknown> };
        late.comment.created_at = '2025-06-11T12:45:00Z';
        assert.is((await d.deliver(deliveryOf('issue_comment', late, { eventType: 'pull_request_comment', deliveryId: 'alice-late' }))).status, 202);
        const job = await waitFor('the approved job to finish', () => d.jobs().find((j) => j.finished_at !== null));
        assert.is(job.state, 'succeeded');
        assert.match(d.log(job.id).join('\n'), `built ${sha2}`);
        assert.equal(d.query<{ state: string }>('SELECT state FROM approvals ORDER BY inbox_id').map((r) => r.state), ['superseded', 'approved']);
      },
      (repo) => {
        fork = new GitRepo('widget', repo);
        fork.write('README.md', 'fixed typo\n');
        sha1 = fork.commit('Fix typo in README');
        return [{ owner: 'bob', name: 'widget', dir: fork.dir, id: 57, parent: 'acme/widget' }];
      },
    );
  } finally {
    (fork as GitRepo | null)?.cleanup();
  }
});

test.run();
