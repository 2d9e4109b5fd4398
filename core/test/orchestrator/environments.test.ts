// Deployment environments for real (serve, the recording forge, the local runtime, the file secrets
// backend): `environment:` selects the environment's secrets over the repository's, and an
// environment configured with `approval: true` holds its job until a writer approves it.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const repoRef = { owner: 'acme', name: 'widget', installationId: '7' };

const WORKFLOW = `on: push
jobs:
  test:
    runs-on: local
    steps:
      - run: test "\${{ secrets.DEPLOY_KEY }}" = repo-level && echo "test saw the repository's value"
  staging:
    needs: test
    environment: staging
    runs-on: local
    steps:
      - run: test "\${{ secrets.DEPLOY_KEY }}" = staging-for-widget && test "\${{ secrets.SHARED }}" = staging-shared && echo "staging saw its environment's values"
  production:
    needs: test
    environment:
      name: Production
      url: https://example.test/\${{ github.sha }}
    runs-on: local
    steps:
      - run: test "\${{ secrets.DEPLOY_KEY }}" = prod-level && echo "production saw its environment's value"
`;

const SECRETS = `secrets:
  DEPLOY_KEY: global-level
  SHARED: global-shared
repos:
  acme/widget:
    DEPLOY_KEY: repo-level
environments:
  staging:
    secrets:
      DEPLOY_KEY: staging-everywhere
      SHARED: staging-shared
    repos:
      acme/widget:
        DEPLOY_KEY: staging-for-widget
  production:
    secrets:
      DEPLOY_KEY: prod-level
`;

test('environment secrets win over the repository\'s; an environment with approval holds its job until a writer approves', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/deploy.yml', WORKFLOW);
  const sha = repo.commit();
  const d = new Deployment(repo, { permissions: { alice: 'write', bob: 'read' } });
  d.write('secrets.yaml', SECRETS);
  chmodSync(join(d.dir, 'secrets.yaml'), 0o600);
  const config = d.read('helios.yaml').replace('use: "@helios-ci/secrets-file"', 'use: "@helios-ci/secrets-file"\n    config: { path: ./secrets.yaml }');
  d.write('helios.yaml', `${config}environments:\n  production: { approval: true }\n  staging: { approval: false }\n`);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    assert.is((await d.push(url, sha)).status, 202);
    const byName = (name: string) => d.jobs().find((j) => j.name === name);
    await waitFor('test and staging to succeed', () => byName('test')?.state === 'succeeded' && byName('staging')?.state === 'succeeded', 60_000);
    assert.ok(d.log(byName('test')!.id).includes("test saw the repository's value"));
    assert.ok(d.log(byName('staging')!.id).includes("staging saw its environment's values"));

    // production waits: queued, never sent, and the forge shows an approval check linking the page.
    const production = byName('production')!;
    const held = await waitFor('the approval check', () => d.forge().checks.find((c) => c.name.includes('Approve production (environment Production)')));
    assert.is(held.status, 'queued');
    await new Promise((r) => setTimeout(r, 1500));
    assert.is(byName('production')!.state, 'queued', 'the held job does not start on its own');
    const [approval] = d.query<{ id: string; state: string; environment: string; job_id: string }>('SELECT id, state, environment, job_id FROM approvals');
    assert.equal(approval, { id: `env-${production.id}`, state: 'pending', environment: 'Production', job_id: production.id });

    await d.event(url, { kind: 'approve', repo: repoRef, target: approval!.id, sender: 'bob' }, 'approve-bob');
    await waitFor('bob\'s approval to be handled', () => d.query<{ status: string }>('SELECT status FROM inbox WHERE delivery_id = ?', 'approve-bob').find((r) => r.status !== 'received'));
    assert.is(byName('production')!.state, 'queued', 'a reader cannot approve');

    await d.event(url, { kind: 'approve', repo: repoRef, target: approval!.id, sender: 'alice' });
    await waitFor('production to succeed', () => byName('production')?.state === 'succeeded', 60_000);
    assert.ok(d.log(production.id).includes("production saw its environment's value"));
    const closed = await waitFor('the approval check to close', () => d.forge().checks.find((c) => c.name.includes('Approve production') && c.status === 'completed'));
    assert.is(closed.result!.title, 'Approved by alice');
    assert.is(d.query<{ state: string; decided_by: string }>('SELECT state, decided_by FROM approvals')[0]!.decided_by, 'alice');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
