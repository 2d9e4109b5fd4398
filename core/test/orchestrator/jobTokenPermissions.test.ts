// What a job's GITHUB_TOKEN is asked with (jobTokenPermissions), from `permissions:` as planned; and
// secrets.GITHUB_TOKEN never being read from a secrets backend (jobSecrets).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobPlan, Secrets } from '@helios-ci/sdk';
import { jobTokenPermissions } from '../../src/orchestrator/jobTokenPermissions.js';
import { resolveJobSecrets } from '../../src/orchestrator/jobSecrets.js';
import { plan as planWorkflows } from '../../src/workflow/index.js';

async function planned(text: string): Promise<JobPlan[]> {
  const r = await planWorkflows({ files: [{ path: '.github/workflows/ci.yml', content: text }], event: { name: 'push', ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null });
  assert.equal(r.problems, []);
  return r.jobs;
}

test('permissions: job over workflow, as written; absent when neither says', async () => {
  const [a, b] = await planned('on: push\npermissions: { contents: write }\njobs:\n  a:\n    runs-on: local\n    permissions: read-all\n    steps: [{ run: "true" }]\n  b:\n    runs-on: local\n    steps: [{ run: "true" }]\n');
  assert.is(a!.permissions, 'read-all');
  assert.equal(b!.permissions, { contents: 'write' });
  const [c] = await planned('on: push\njobs:\n  c:\n    runs-on: local\n    steps: [{ run: "true" }]\n');
  assert.not.ok('permissions' in c!, 'no field: plans without permissions stay as they were');
});

test('token permissions: API names, none and id-token left out, restricted default, read-all/write-all', () => {
  assert.equal(jobTokenPermissions({ permissions: { contents: 'read', 'pull-requests': 'write', 'security-events': 'read', checks: 'none', 'id-token': 'write' } }), { contents: 'read', pull_requests: 'write', security_events: 'read' });
  assert.equal(jobTokenPermissions({ permissions: {} }), {});
  assert.equal(jobTokenPermissions({}), { contents: 'read' });
  const all = jobTokenPermissions({ permissions: 'write-all' });
  assert.is(all.contents, 'write');
  assert.is(all.pull_requests, 'write');
  assert.ok(Object.values(jobTokenPermissions({ permissions: 'read-all' })).every((v) => v === 'read'));
});

test('secrets.GITHUB_TOKEN is not asked of the secrets backend', async () => {
  const asked: string[][] = [];
  const secrets = { resolve: async (q: { names: string[] }) => (asked.push(q.names), Object.fromEntries(q.names.map((n) => [n, `v-${n}`]))) } as unknown as Secrets;
  const [job] = await planned('on: push\njobs:\n  a:\n    runs-on: local\n    steps:\n      - run: echo "${{ secrets.GITHUB_TOKEN }} ${{ secrets.NPM }}"\n');
  assert.equal(job!.secretNames, ['GITHUB_TOKEN', 'NPM']);
  assert.equal(await resolveJobSecrets(secrets, { repo: 'a/b', event: 'push' }, job!), { NPM: 'v-NPM' });
  assert.equal(asked, [['NPM']]);
  const [only] = await planned('on: push\njobs:\n  a:\n    runs-on: local\n    steps:\n      - run: echo "${{ secrets.GITHUB_TOKEN }}"\n');
  assert.equal(await resolveJobSecrets(secrets, { repo: 'a/b', event: 'push' }, only!), {});
  assert.is(asked.length, 1);
});

test.run();
