// Forgejo mints no job tokens (no narrow, short-lived tokens to mint): a push's job that reads
// secrets.GITHUB_TOKEN gets an empty value, no GITHUB_TOKEN in its env, and a log line saying why —
// and it is not failed for a secret the backend lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForgejoStandIn } from './standIn/server.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { Deployment, deliveryOf, pushPayload, waitFor } from './helpers/deployment.js';

const WORKFLOW = `name: CI
on: push
jobs:
  token:
    runs-on: local
    permissions: { contents: write }
    steps:
      - run: test -z "\${{ secrets.GITHUB_TOKEN }}" && test -z "\${{ github.token }}" && test -z "$GITHUB_TOKEN" && echo "no forgejo job token"
`;

test('a Forgejo job gets no GITHUB_TOKEN and says so', async () => {
  const repo = new GitRepo();
  repo.write('.forgejo/workflows/ci.yml', WORKFLOW);
  const sha = repo.commit('reads GITHUB_TOKEN');
  let standIn: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }], permissions: { acme: 'owner' } });
    d = new Deployment(standIn.url);
    await d.start();
    assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'token-1' }))).status, 202);
    const [job] = await waitFor('the job to finish', () => {
      const jobs = d!.query<{ id: string; state: string }>('SELECT id, state FROM jobs');
      return jobs.length === 1 && ['succeeded', 'failed', 'errored'].includes(jobs[0]!.state) && jobs;
    }, 60_000);
    const body = (await (await fetch(`${d.url}/api/jobs/${job!.id}/log?limit=1000`)).json()) as { lines: { text: string }[] };
    const log = body.lines.map((l) => l.text).join('\n');
    assert.is(job!.state, 'succeeded', log);
    assert.match(log, /no forgejo job token/);
    assert.match(log, /forge codeberg mints no job tokens: steps get no GITHUB_TOKEN/);
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await standIn?.stop();
    repo.cleanup();
  }
});

test.run();
