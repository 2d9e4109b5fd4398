// GITHUB_TOKEN end to end through the real `helios serve` (sandboxed runtime-local, GitHub stand-in):
// a trusted push's steps get a fresh installation token for the repository narrowed to the job's
// `permissions:` (asserted at the stand-in), usable against the API, masked in the log and revoked
// at job end; `permissions: {}` and the restricted default narrow it; permissions the App lacks are
// refused by GitHub and the job runs without a token; a fork pull request's steps see none.
import { createHash, randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadFixture, post, retarget, signedDelivery, TEST_WEBHOOK_SECRET, type Payload } from './helpers/fixtures.js';
import { startServe, waitFor, type ServeProcess } from './helpers/serve.js';
import { SANDBOX_REACHABLE_HOST, SandboxedDeployment } from './helpers/sandboxedServe.js';
import { createWorld, INSTALLATION, OWNER, type World } from './helpers/world.js';

let w: World;
let d: SandboxedDeployment;
let serve: ServeProcess;
let url: string;
let sha: string;

const target = () => ({ owner: OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: INSTALLATION, appId: w.standIn.appId });

/** A step that reports what token it has: its sha256 (the value itself is masked), and two API calls with it. */
function probe(api: string): string {
  return `      - run: |
          echo "token in env: $GITHUB_TOKEN"
          test "$GITHUB_TOKEN" = "\${{ secrets.GITHUB_TOKEN }}" && test "$GITHUB_TOKEN" = "\${{ github.token }}" && echo "all three agree"
          if [ -n "$GITHUB_TOKEN" ]; then echo "token sha256 $(printf %s "$GITHUB_TOKEN" | sha256sum | cut -d' ' -f1)"; else echo "no token"; fi
          echo "contents: $(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $GITHUB_TOKEN" -H 'Accept: application/vnd.github.sha' ${api}/repos/acme/widget/commits/main)"
          echo "checks: $(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $GITHUB_TOKEN" ${api}/repos/acme/widget/commits/main/check-runs)"
`;
}

test.before(async () => {
  w = await createWorld({ host: SANDBOX_REACHABLE_HOST, files: { 'README.md': '# widget\n' } });
  const api = w.standIn.apiUrl;
  w.repo.write('.github/workflows/token.yml', `name: Token
on: push
jobs:
  narrowed:
    runs-on: local
    permissions: { contents: read, pull-requests: read, id-token: write, checks: none }
    steps:
${probe(api)}  empty:
    runs-on: local
    permissions: {}
    steps:
${probe(api)}  defaulted:
    runs-on: local
    steps:
${probe(api)}  refused:
    runs-on: local
    permissions: { contents: read, issues: write }
    steps:
${probe(api)}`);
  w.repo.write('.github/workflows/fork.yml', `name: Fork
on: pull_request
permissions: write-all
jobs:
  forked:
    runs-on: local
    steps:
      - run: |
          test -z "$GITHUB_TOKEN" && test -z "\${{ secrets.GITHUB_TOKEN }}" && test -z "\${{ github.token }}" && echo "fork step has no token"
`);
  sha = w.repo.commit('token workflows');
  w.standIn.addRepo({ owner: 'mallory', name: 'widget', installationId: INSTALLATION, dir: w.repo.dir });
  d = new SandboxedDeployment(w.standIn, TEST_WEBHOOK_SECRET);
  serve = startServe(d);
  url = await serve.url;
});

test.after(async () => {
  await serve?.stop();
  d?.cleanup();
  await w?.cleanup();
});

async function logOf(jobId: string): Promise<string> {
  const body = (await (await fetch(`${url}/api/jobs/${jobId}/log?limit=10000`)).json()) as { lines: { stream: string; text: string }[] };
  return body.lines.map((l) => `${l.stream}: ${l.text}`).join('\n');
}

const finished = (names: string[]) => {
  const jobs = d.jobs().filter((j) => names.includes(j.name));
  return jobs.length === names.length && jobs.every((j) => ['succeeded', 'failed', 'errored', 'cancelled'].includes(j.state)) && jobs;
};

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

test('a trusted push: each job gets a token narrowed to its permissions, usable, masked, revoked at job end', async () => {
  const payload = retarget(loadFixture('push'), target());
  Object.assign(payload, { ref: 'refs/heads/main', before: '0'.repeat(39) + '1', after: sha, deleted: false, created: false });
  delete payload.commits;
  delete payload.head_commit;
  assert.is((await post(`${url}/hooks/github`, signedDelivery('push', payload, { deliveryId: randomUUID() }))).status, 202);
  const jobs = await waitFor('the token jobs to finish', () => finished(['narrowed', 'empty', 'defaulted', 'refused']), 120_000);
  const logs = Object.fromEntries(await Promise.all(jobs.map(async (j) => [j.name, await logOf(j.id)] as const)));
  for (const j of jobs) assert.is(j.state, 'succeeded', logs[j.name]);

  const tokenOf = (name: string) => {
    const m = /token sha256 ([0-9a-f]{64})/.exec(logs[name]!);
    assert.ok(m, `${name} printed its token's hash:\n${logs[name]}`);
    const minted = w.standIn.minted.find((t) => sha256(t.token) === m![1]);
    assert.ok(minted, `${name}'s token was minted by the stand-in`);
    return minted!;
  };
  const narrowed = tokenOf('narrowed');
  assert.equal(narrowed.permissions, { contents: 'read', pull_requests: 'read', metadata: 'read' }, 'exactly the job\'s permissions (id-token is no token permission, none is left out)');
  assert.equal(narrowed.repositories, ['widget']);
  assert.match(logs.narrowed!, /contents: 200/);
  assert.match(logs.narrowed!, /checks: 403/, 'checks: none');
  assert.match(logs.narrowed!, /all three agree/);
  assert.match(logs.narrowed!, /token in env: \*\*\*/);

  const empty = tokenOf('empty');
  assert.equal(empty.permissions, { metadata: 'read' });
  assert.match(logs.empty!, /contents: 403/);

  const defaulted = tokenOf('defaulted');
  assert.equal(defaulted.permissions, { contents: 'read', metadata: 'read' }, 'the restricted default');
  assert.match(logs.defaulted!, /restricted default/);
  assert.match(logs.defaulted!, /contents: 200/);
  assert.match(logs.defaulted!, /checks: 403/);

  // The App has no issues permission: GitHub refuses the token; the job runs without one.
  assert.match(logs.refused!, /no GITHUB_TOKEN for this job: E_FORGE_JOB_TOKEN: GitHub refused a token with contents: read, issues: write, metadata: read/);
  assert.match(logs.refused!, /no token/);
  assert.ok(w.standIn.requests.some((r) => r.method === 'POST' && /access_tokens$/.test(r.path) && r.status === 422), 'GitHub did refuse it');

  for (const t of [narrowed, empty, defaulted]) {
    for (const log of Object.values(logs)) assert.not.ok(log.includes(t.token), 'the token value is never in a log');
  }
  // Revoked once each job's machine is gone (just after the job's final state is stored).
  await waitFor('the job tokens to be revoked', () => [narrowed, empty, defaulted].every((t) => w.standIn.revokedTokens.includes(t.token)), 20_000);
  assert.not.ok(w.standIn.tokens.has(narrowed.token), 'GitHub no longer accepts it');
  assert.equal(w.standIn.rejections, []);
});

test('an approved fork pull request: its steps see no GITHUB_TOKEN, though its workflow asks write-all', async () => {
  const p: Payload = retarget(loadFixture('pull_request.opened'), target());
  Object.assign(p.pull_request.head, { sha, ref: 'feature' });
  p.pull_request.head.repo.full_name = 'mallory/widget';
  p.pull_request.head.repo.owner.login = 'mallory';
  p.pull_request.base.ref = 'main';
  p.pull_request.user.login = 'mallory';
  const asked = w.standIn.tokenRequests.length;
  assert.is((await post(`${url}/hooks/github`, signedDelivery('pull_request', p, { deliveryId: randomUUID() }))).status, 202);
  const hold = await waitFor('the approval check', () => w.standIn.runs().find((r) => r.head_sha === sha && r.conclusion === 'action_required'), 30_000);
  const approve = retarget(loadFixture('check_run.requested_action'), target());
  Object.assign(approve.check_run, { id: hold.id, external_id: hold.external_id, head_sha: hold.head_sha, name: hold.name });
  approve.requested_action.identifier = 'approve';
  approve.sender.login = 'bob';
  assert.is((await post(`${url}/hooks/github`, signedDelivery('check_run', approve, { deliveryId: randomUUID() }))).status, 202);
  const [job] = await waitFor('the fork job to finish', () => finished(['forked']), 90_000);
  const log = await logOf(job!.id);
  assert.is(job!.state, 'succeeded', log);
  assert.match(log, /fork step has no token/);
  assert.match(log, /untrusted \(fork pull request\): its steps get no GITHUB_TOKEN/);
  // Only clone tokens (contents: read, as the forge asks for clones) were asked for: no job token.
  const bodies = w.standIn.tokenRequests.slice(asked).map((r) => JSON.stringify(r.body.permissions ?? null));
  assert.equal(bodies.filter((b) => b !== JSON.stringify({ contents: 'read' })), [], 'no job token was asked for the fork run');
});

test.run();
