// A reusable workflow of another repository (`owner/repo/.github/workflows/x.yml@ref`) is read
// through the run's forge — here the Forgejo stand-in's contents API, which answers 404 for a ref
// or file that does not exist, as Forgejo does — and runs with the caller's inputs and outputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForgejoStandIn } from './standIn/server.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { Deployment, deliveryOf, pushPayload, waitFor } from './helpers/deployment.js';

const CALLED = (version: string) => `on:
  workflow_call:
    inputs:
      greeting: { type: string, required: true }
    outputs:
      said:
        value: \${{ jobs.greet.outputs.said }}
jobs:
  greet:
    runs-on: local
    outputs:
      said: \${{ steps.s.outputs.said }}
    steps:
      - id: s
        run: echo "said=${version} says \${{ inputs.greeting }}" >> "$GITHUB_OUTPUT"
`;

const CALLER = `name: CI
on: push
jobs:
  shared:
    uses: acme/shared/.github/workflows/greet.yml@v1
    with:
      greeting: hello
  after:
    needs: shared
    runs-on: local
    steps:
      - run: test "\${{ needs.shared.outputs.said }}" = "v1 says hello" && echo "remote output arrived"
`;

const BROKEN = `name: Broken
on: push
jobs:
  no-ref:
    uses: acme/shared/.github/workflows/greet.yml@no-such-ref
    with:
      greeting: hi
  no-repo:
    uses: acme/elsewhere/.github/workflows/greet.yml@v1
    with:
      greeting: hi
`;

test('a remote reusable workflow is fetched at its ref through the forge and runs; a missing ref or repository is a problem of the run', async () => {
  const shared = new GitRepo('shared');
  shared.write('.github/workflows/greet.yml', CALLED('v1'));
  shared.commit('v1');
  shared.git('tag', 'v1');
  // main moves on: the call must read the tag, not the default branch.
  shared.write('.github/workflows/greet.yml', CALLED('main'));
  shared.commit('main moves on');
  const repo = new GitRepo();
  repo.write('.forgejo/workflows/ci.yml', CALLER).write('.forgejo/workflows/broken.yml', BROKEN);
  const sha = repo.commit('caller');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({
      token: TOKEN,
      repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }, { owner: 'acme', name: 'shared', dir: shared.dir, id: 43 }],
      permissions: { acme: 'owner' },
    });
    d = new Deployment(standIn.url);
    await d.start();
    assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'remote-1' }))).status, 202);
    const jobs = await waitFor('the jobs to finish', () => {
      const js = d!.jobs();
      return js.length === 2 && js.every((j) => j.finished_at !== null) && js;
    }, 90_000);
    assert.equal(jobs.map((j) => [j.name, j.state]), [['shared / greet', 'succeeded'], ['after', 'succeeded']]);
    const after = jobs.find((j) => j.name === 'after')!;
    assert.ok(d.log(after.id).includes('remote output arrived'), d.log(after.id).join('\n'));
    const [run] = d.query<{ plan_json: string }>('SELECT plan_json FROM runs');
    const problems = (JSON.parse(run!.plan_json) as { problems: { file: string; line: number; message: string }[] }).problems;
    assert.equal(problems.map((p) => [p.file, p.line]), [['.forgejo/workflows/broken.yml', 5], ['.forgejo/workflows/broken.yml', 9]]);
    assert.match(problems[0]!.message, /acme\/shared has no \.github\/workflows\/greet\.yml at no-such-ref/);
    assert.match(problems[1]!.message, /acme\/elsewhere has no \.github\/workflows\/greet\.yml at v1, or the forge's credentials cannot read that repository/);
    assert.equal(standIn.selfProblems, [], 'the stand-in answered outside the swagger');
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    repo.cleanup();
    shared.cleanup();
  }
});

test.run();
