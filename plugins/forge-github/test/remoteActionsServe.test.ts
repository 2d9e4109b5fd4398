// Remote marketplace actions end to end: a push to a GitHub repository (the stand-in) whose workflow
// uses a node20 action (pre/main/post, an input, an output, state from main to post) and a composite
// action that uses another remote action, planned and run by the real `helios serve` on runtime-local
// with its default sandbox (bubblewrap here when installed). The job succeeds, its log names the
// pinned commit, the output reaches a later `run:` step, and a post step runs after a failing step.
import { randomUUID } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestMarketplace, type MarketplaceRepo } from '@helios-ci/sdk/testkit';
import { loadFixture, post, retarget, signedDelivery, TEST_WEBHOOK_SECRET } from './helpers/fixtures.js';
import { startServe, waitFor, type ServeProcess } from './helpers/serve.js';
import { bwrapPresent, SANDBOX_REACHABLE_HOST, SandboxedDeployment } from './helpers/sandboxedServe.js';
import { createWorld, INSTALLATION, OWNER, type World } from './helpers/world.js';

const MARKET: Record<string, MarketplaceRepo> = {
  'acme/greeter': {
    files: {
      'action.yml': `name: Greeter
description: greets, keeps the greeting for its post step
inputs:
  who: { description: whom, required: true }
  greeting: { description: what, default: hello }
outputs:
  said: { description: what was said }
runs:
  using: node20
  pre: pre.js
  main: main.js
  post: post.js
`,
      'pre.js': "console.log('greeter pre for', process.env.INPUT_WHO);\n",
      'main.js': "const fs = require('fs');\nconst said = `${process.env.INPUT_GREETING} ${process.env.INPUT_WHO}`;\nfs.appendFileSync(process.env.GITHUB_OUTPUT, `said=${said}\\n`);\nfs.appendFileSync(process.env.GITHUB_STATE, `greeted=${process.env.INPUT_WHO}\\n`);\nconsole.log('greeter main said', said);\n",
      'post.js': "console.log('greeter post remembers', process.env.STATE_greeted);\n",
    },
    tags: ['v1'],
  },
  'acme/toolbox': {
    files: {
      'setup/action.yml': `name: Setup
description: a composite action that uses another remote action
inputs:
  who: { description: whom, default: world }
outputs:
  said: { description: from the greeter, value: "\${{ steps.inner.outputs.said }}" }
runs:
  using: composite
  steps:
    - id: inner
      uses: acme/greeter@v1
      with: { who: "\${{ inputs.who }}", greeting: hi }
    - run: echo "composite saw \${{ steps.inner.outputs.said }}"
      shell: bash
`,
    },
    tags: ['v2'],
  },
};

const WORKFLOW = `name: Actions
on: push
jobs:
  ok:
    runs-on: local
    steps:
      - id: greet
        uses: acme/greeter@v1
        with: { who: octocat }
      - run: echo "later step read <\${{ steps.greet.outputs.said }}>"
      - id: setup
        uses: acme/toolbox/setup@v2
        with: { who: nested }
      - run: echo "composite output <\${{ steps.setup.outputs.said }}>"
  failing:
    runs-on: local
    steps:
      - uses: acme/greeter@v1
        with: { who: doomed }
      - run: echo "failing now" && exit 7
`;

let w: World;
let market: TestMarketplace;
let d: SandboxedDeployment;
let serve: ServeProcess;
let url: string;

test.before(async () => {
  market = new TestMarketplace(MARKET);
  w = await createWorld({ host: SANDBOX_REACHABLE_HOST, files: { '.github/workflows/actions.yml': WORKFLOW } });
  // Public repositories of another installation, read with the planned repository's token.
  for (const name of ['greeter', 'toolbox']) w.standIn.addRepo({ owner: 'acme', name, installationId: 777, dir: market.repoDir(`acme/${name}`), private: false });
  d = new SandboxedDeployment(w.standIn, TEST_WEBHOOK_SECRET);
  serve = startServe(d);
  url = await serve.url;
});

test.after(async () => {
  await serve?.stop();
  d?.cleanup();
  await w?.cleanup();
  market?.cleanup();
});

async function logOf(jobId: string): Promise<string> {
  const body = (await (await fetch(`${url}/api/jobs/${jobId}/log?limit=10000`)).json()) as { lines: { stream: string; text: string }[] };
  return body.lines.map((l) => `${l.stream}: ${l.text}`).join('\n');
}

test('a push runs a remote node20 action and a remote composite: pinned sha in the log, outputs to later steps, post after a failure', async () => {
  const payload = retarget(loadFixture('push'), { owner: OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: INSTALLATION, appId: w.standIn.appId });
  Object.assign(payload, { ref: 'refs/heads/main', before: '0'.repeat(39) + '1', after: w.sha, deleted: false, created: false });
  delete payload.commits;
  delete payload.head_commit;
  const res = await post(`${url}/hooks/github`, signedDelivery('push', payload, { deliveryId: randomUUID() }));
  assert.is(res.status, 202);
  const jobs = await waitFor('both jobs to finish', () => {
    const all = d.jobs();
    return all.length === 2 && all.every((j) => ['succeeded', 'failed', 'errored', 'cancelled'].includes(j.state)) && all;
  }, 120_000);
  const ok = jobs.find((j) => j.name === 'ok')!;
  const failing = jobs.find((j) => j.name === 'failing')!;
  const okLog = await logOf(ok.id);
  const failLog = await logOf(failing.id);
  const greeterSha = market.shas.get('acme/greeter')!;
  const toolboxSha = market.shas.get('acme/toolbox')!;
  assert.is(ok.state, 'succeeded', okLog);
  if (bwrapPresent) assert.not.match(serve.output(), /NOT isolated/i, 'the default sandbox is on');
  assert.ok(okLog.includes(`acme/greeter@${greeterSha.slice(0, 7)}, ${greeterSha}`), okLog);
  assert.ok(okLog.includes(greeterSha) && okLog.includes(toolboxSha.slice(0, 7)), 'both pinned commits are named');
  assert.match(okLog, /greeter pre for octocat/);
  assert.match(okLog, /later step read <hello octocat>/);
  assert.match(okLog, /composite saw hi nested/);
  assert.match(okLog, /composite output <hi nested>/);
  assert.match(okLog, /greeter post remembers octocat/);
  assert.match(okLog, /greeter post remembers nested/);

  assert.is(failing.state, 'failed', failLog);
  assert.match(failLog, /failing now/);
  const afterFailure = failLog.slice(failLog.indexOf('failing now'));
  assert.match(afterFailure, /greeter post remembers doomed/, 'the post ran after the failing step');
  const steps = d.query<{ name: string; conclusion: string }>('SELECT name, conclusion FROM steps WHERE job_id = ? ORDER BY idx', failing.id);
  const postStep = steps.find((s) => /^Post /.test(s.name));
  assert.ok(postStep, JSON.stringify(steps));
  assert.is(postStep!.conclusion, 'success');
  assert.equal(w.standIn.rejections, [], 'GitHub refused nothing');
});

test.run();
