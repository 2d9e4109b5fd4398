// A push to a Forgejo repository whose workflow uses remote actions, planned by a real `helios serve`
// with the default action source (the run's forge): the plan stored for the run pins each action to
// the commit its tag named, the tree is in the host's action cache under the data directory (what
// the agent service hands agents), and a tag that moves after planning leaves the run's plan alone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestMarketplace } from '@helios-ci/sdk/testkit';
import type { JobPlan, NodeActionStep } from '@helios-ci/sdk';
import { ForgejoStandIn } from './standIn/server.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { Deployment, deliveryOf, forkPullRequestPayload, pushPayload, waitFor } from './helpers/deployment.js';
import { commentPayload, fixturePayload } from './helpers/fixtures.js';

const WORKFLOW = `name: CI
on: push
jobs:
  greet:
    runs-on: local
    steps:
      - uses: acme/greeter@v1
        with:
          who: forgejo
      - uses: acme/toolbox/container@v2
`;

test('helios serve pins remote actions at plan time through the run\'s forge and caches their trees', async () => {
  const market = new TestMarketplace();
  const repo = new GitRepo();
  repo.write('.forgejo/workflows/ci.yml', WORKFLOW).write('.forgejo/workflows/ok.yml', WORKFLOW.replace('name: CI', 'name: OK').replace(/\n      - uses: acme\/toolbox\/container@v2\n/, '\n'));
  const sha = repo.commit('uses remote actions');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({
      token: TOKEN,
      repos: [
        { owner: 'acme', name: 'widget', dir: repo.dir, id: 42 },
        { owner: 'acme', name: 'greeter', dir: market.repoDir('acme/greeter'), id: 43 },
        { owner: 'acme', name: 'toolbox', dir: market.repoDir('acme/toolbox'), id: 44 },
      ],
      permissions: { acme: 'owner' },
    });
    d = new Deployment(standIn.url);
    await d.start();
    assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'actions-1' }))).status, 202);
    const [run] = await waitFor('the run to be planned', () => {
      const runs = d!.query<{ id: string; plan_json: string }>('SELECT id, plan_json FROM runs');
      return runs.length === 1 && runs;
    }, 60_000);
    const planned = JSON.parse(run!.plan_json) as { jobs: JobPlan[]; problems: { file: string; message: string }[] };
    const greeterSha = market.shas.get('acme/greeter')!;
    // The docker action is a problem of its workflow, named by step; the other workflow plans.
    assert.equal(planned.problems.length, 1);
    assert.match(planned.problems[0]!.message, /step "Run acme\/toolbox\/container@v2" \(step 2\) uses acme\/toolbox\/container@v2, a container action .*container actions need Docker, which this runtime does not offer/);
    const step = planned.jobs[0]!.steps[0] as NodeActionStep;
    assert.equal([step.kind, step.action], ['node-action', { repo: 'acme/greeter', path: '', ref: 'v1', sha: greeterSha }]);
    assert.ok(existsSync(join(d.dir, 'data', 'actions', 'acme', 'greeter', greeterSha, 'action.tar')), 'the tree is cached on the host for the agents');
    assert.equal(standIn.archiveDownloads.filter((a) => a.startsWith('acme/greeter@')), [`acme/greeter@${greeterSha}`]);
    // The tag moves after planning: the stored job plans keep the planned commit.
    market.move('acme/greeter', 'v1', 'dist/main.js', 'console.log("moved");\n');
    const jobs = d.query<{ plan_json: string }>('SELECT plan_json FROM jobs');
    assert.ok(jobs.length > 0);
    for (const j of jobs) assert.equal(((JSON.parse(j.plan_json) as JobPlan).steps[0] as NodeActionStep).action.sha, greeterSha);
    assert.equal(standIn.selfProblems, [], 'the stand-in answered outside the swagger');
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    repo.cleanup();
    market.cleanup();
  }
});

test('an approved fork pull request is planned under the same actions.allow: a refused action is a problem of its run naming the rule', async () => {
  const market = new TestMarketplace();
  const repo = new GitRepo();
  repo.write('.github/workflows/pr.yml', 'name: PR\non: pull_request\njobs:\n  greet:\n    runs-on: local\n    steps:\n      - uses: acme/greeter@v1\n        with: { who: fork }\n      - uses: acme/toolbox/setup@v2\n');
  repo.commit('initial');
  const fork = new GitRepo('widget', repo);
  fork.write('README.md', 'fixed typo\n');
  const headSha = fork.commit('Fix typo');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({
      token: TOKEN,
      repos: [
        { owner: 'acme', name: 'widget', dir: repo.dir, id: 42 },
        { owner: 'bob', name: 'widget', dir: fork.dir, id: 57, parent: 'acme/widget' },
        { owner: 'acme', name: 'greeter', dir: market.repoDir('acme/greeter'), id: 43 },
        { owner: 'acme', name: 'toolbox', dir: market.repoDir('acme/toolbox'), id: 44 },
      ],
      permissions: { acme: 'owner', alice: 'write' },
    });
    d = new Deployment(standIn.url, { extraYaml: 'actions:\n  allow: ["actions/*", "acme/greeter@v1"]\n' });
    await d.start();
    assert.is((await d.deliver(deliveryOf('pull_request', forkPullRequestPayload(8, headSha), { eventType: 'pull_request' }))).status, 202);
    await waitFor('the fork pull request to be held', () => d!.query('SELECT id FROM approvals').length === 1);
    const repository = fixturePayload('pull_request_synchronized.json').repository;
    assert.is((await d.deliver(deliveryOf('issue_comment', commentPayload(8, '/helios approve', 'alice', repository), { eventType: 'pull_request_comment', deliveryId: 'alice-1' }))).status, 202);
    const [run] = await waitFor('the approved run to be planned', () => {
      const runs = d!.query<{ plan_json: string; trusted: number }>('SELECT plan_json, trusted FROM runs');
      return runs.length === 1 && runs;
    }, 60_000);
    assert.is(run!.trusted, 0);
    const problems = (JSON.parse(run!.plan_json) as { problems: { message: string }[] }).problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /step "Run acme\/toolbox\/setup@v2" \(step 2\) uses acme\/toolbox\/setup@v2: refused by actions\.allow in helios\.yaml \(this run is an untrusted fork pull request; the same list applies to it\): no entry matches acme\/toolbox\/setup@v2 \(allow: actions\/\*, acme\/greeter@v1\); add "acme\/toolbox" or "acme\/\*" to actions\.allow/);
    assert.equal(standIn.archiveDownloads.filter((a) => a.startsWith('acme/toolbox@')), [], 'a refused action is never fetched');
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    fork.cleanup();
    repo.cleanup();
    market.cleanup();
  }
});

test.run();
