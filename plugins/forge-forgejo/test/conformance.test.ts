import { forgeConformance } from '@helios-ci/sdk/testkit';
import { ForgejoStandIn } from './standIn/server.js';
import { fixtureDelivery, fixturePayload, signedDelivery } from './helpers/fixtures.js';
import { forgeFor } from './helpers/forge.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';

// One repository and stand-in for the whole suite; each case gets a fresh forge instance.
const repo = new GitRepo();
repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo ok\n');
const sha = repo.commit('initial');
const standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }], permissions: { alice: 'write' } });

const suite = forgeConformance('forge-forgejo against the Forgejo stand-in', {
  async create() {
    return { subject: forgeFor(standIn.url) };
  },
  repo: { owner: 'acme', name: 'widget', id: '42' },
  sha,
  checkJob: { jobId: 'conf-1', runId: 'run-1', repo: { owner: 'acme', name: 'widget', id: '42' }, sha, workflowName: 'CI', jobName: 'build', detailsUrl: 'https://ci.example.org/jobs/conf-1' },
  user: 'alice',
  signedEvent: () => fixtureDelivery('push.json'),
  ignoredEvent: () => signedDelivery('release', fixturePayload('push.json')),
  badSignature: () => {
    const d = fixtureDelivery('pull_request.json');
    return { headers: { ...d.headers, 'x-forgejo-signature': '0'.repeat(64) }, rawBody: d.rawBody };
  },
  async inspectCheck(_forge, handle) {
    const context = (handle.data as { context: string }).context;
    const last = standIn.statusesOf(sha, context).at(-1);
    if (!last) return null;
    const conclusion = last.state === 'failure' ? 'failure' : last.state === 'success' ? 'success' : undefined;
    return { completed: last.state !== 'pending', ...(conclusion ? { conclusion } : {}), annotations: 0 };
  },
});

suite.after(async () => {
  if (standIn.selfProblems.length) throw new Error(`the stand-in answered outside the swagger:\n${standIn.selfProblems.join('\n')}`);
  await standIn.stop();
  repo.cleanup();
});
suite.run();
