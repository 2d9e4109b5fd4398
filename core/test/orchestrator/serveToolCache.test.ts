/**
 * The runner tool cache through a real `helios serve` (recording forge, local runtime): an approved
 * fork pull request's job cannot plant a tool that a later job on main runs, and jobs of trusted runs
 * still share the host's tool cache.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const repoRef = { owner: 'acme', name: 'widget', installationId: '7' };

/** Prints the `node` it finds in the tool cache, and (when there is none) "installs" who.txt as node. */
const WORKFLOW = `on: [push, pull_request]
jobs:
  t:
    runs-on: local
    steps:
      - uses: actions/checkout@v4
      - run: |
          tool="$RUNNER_TOOL_CACHE/node/20.0.0/x64/bin/node"
          echo "result node=[$(cat "$tool" 2>/dev/null)]"
          [ -f "$tool" ] || { mkdir -p "$(dirname "$tool")"; cat who.txt > "$tool"; }
`;

async function resultOf(d: Deployment, n: number): Promise<string> {
  const job = await waitFor(`job ${n} to finish`, () => {
    const j = d.jobs()[n - 1];
    return j && !['queued', 'provisioning', 'running'].includes(j.state) && j;
  }, 90_000);
  const log = d.log(job.id);
  assert.is(job.state, 'succeeded', log.join('\n'));
  const line = log.find((l) => l.startsWith('result '));
  assert.ok(line, log.join('\n'));
  return line!;
}

test('a fork pull request cannot plant a tool for main; main\'s jobs share their tool cache', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/t.yml', WORKFLOW).write('who.txt', 'mallory\n');
  const forkSha = repo.commit('fork head');
  repo.write('who.txt', 'main\n');
  const mainSha = repo.commit('main');
  const d = new Deployment(repo, { permissions: { alice: 'write' } });
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    // 1. The fork's approved run "installs" its node first.
    const fork = { kind: 'pullRequest', repo: repoRef, number: 8, action: 'opened', head: { sha: forkSha, ref: 'evil', repo: { owner: 'mallory', name: 'widget' } }, base: { ref: 'main' }, fromFork: true, author: 'mallory' };
    assert.is((await d.event(url, fork)).status, 202);
    await waitFor('the approval check', () => d.forge().checks.find((c) => c.name === 'Approve and run'));
    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:8', sender: 'alice' });
    assert.is(await resultOf(d, 1), 'result node=[]');

    // 2. A push to main does not find the fork's node, and installs its own.
    await d.push(url, mainSha);
    assert.is(await resultOf(d, 2), 'result node=[]');

    // 3. The next push to main finds main's.
    await d.push(url, mainSha);
    assert.is(await resultOf(d, 3), 'result node=[main]');

    // 4. Another fork run starts empty, without main's tools.
    const fork2 = { ...fork, number: 9, head: { ...fork.head, ref: 'evil2' } };
    assert.is((await d.event(url, fork2)).status, 202);
    await waitFor('the second approval check', () => d.forge().checks.filter((c) => c.name === 'Approve and run').length >= 2);
    await d.event(url, { kind: 'approve', repo: repoRef, target: 'pr:9', sender: 'alice' });
    assert.is(await resultOf(d, 4), 'result node=[]');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
