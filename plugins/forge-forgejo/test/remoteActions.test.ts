// Remote actions through the Forgejo stand-in (every request checked against forgejo-swagger.json):
// `resolveRef` is repoGetSingleCommit, `fetchArchive` is repoGetArchive (`<sha>.tar.gz`, entries
// under `<name>/`); planned through Helios's action resolver, with a Forgejo mirror as a source
// listed before the run's forge.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActionCache, ActionPolicy, ActionResolver, planWorkflows, planOffThread } from '@helios-ci/core';
import { TestMarketplace } from '@helios-ci/sdk/testkit';
import type { Logger, NodeActionStep, CompositeStep } from '@helios-ci/sdk';
import { forgeFor } from './helpers/forge.js';
import { ForgejoStandIn } from './standIn/server.js';
import { TOKEN } from './helpers/standInRepo.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: local
    steps:
      - uses: acme/greeter@v1.0.0
        with: { who: forgejo }
      - uses: acme/toolbox/setup@v2
`;

test('a Forgejo mirror serves actions by commit: resolved, fetched once, planned', async () => {
  const market = new TestMarketplace();
  const standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'greeter', dir: market.repoDir('acme/greeter'), id: 1 }, { owner: 'acme', name: 'toolbox', dir: market.repoDir('acme/toolbox'), id: 2 }] });
  const data = mkdtempSync(join(tmpdir(), 'helios-fj-actions-'));
  try {
    const mirror = forgeFor(standIn.url);
    const cache = new ActionCache(join(data, 'actions'));
    const resolver = new ActionResolver({ policy: new ActionPolicy(['acme/*'], false), cache, sources: [{ type: 'forge', forge: 'codeberg' }, { type: 'run-forge' }], forges: [mirror], logger: silent });
    const planOnce = () => planWorkflows({ files: [{ path: '.forgejo/workflows/ci.yml', content: WORKFLOW }], event: { name: 'push', ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null, loadRemoteAction: resolver.forRun({ forge: null, trusted: true }) });
    const result = await planOnce();
    assert.equal(result.problems, []);
    const [greeter, setup] = result.jobs[0]!.steps as [NodeActionStep, CompositeStep];
    assert.equal(greeter.action, { repo: 'acme/greeter', path: '', ref: 'v1.0.0', sha: market.shas.get('acme/greeter')! });
    assert.equal(setup.action?.sha, market.shas.get('acme/toolbox'));
    await planOnce();
    assert.equal(standIn.archiveDownloads.length, 2, 'the second plan is served from the cache');
    assert.equal(standIn.selfProblems, []);
    const ops = new Set(standIn.requests.map((r) => r.operationId));
    assert.ok(ops.has('repoGetSingleCommit') && ops.has('repoGetArchive'));
    assert.equal(standIn.requests.filter((r) => r.status >= 400 && r.status !== 404), []);
    const missing = await planWorkflows({ files: [{ path: '.forgejo/workflows/ci.yml', content: 'on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - uses: acme/greeter@v7\n' }], event: { name: 'push', ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null, loadRemoteAction: resolver.forRun({ forge: null, trusted: true }) });
    assert.match(missing.problems[0]!.message, /no action source has acme\/greeter at v7 \(tried forge codeberg\)/);
  } finally {
    rmSync(data, { recursive: true, force: true });
    await standIn.stop();
    market.cleanup();
  }
});

test('a source that is down is skipped for the next one; with none left the delivery fails retryably', async () => {
  const market = new TestMarketplace();
  const standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'greeter', dir: market.repoDir('acme/greeter'), id: 1 }] });
  const data = mkdtempSync(join(tmpdir(), 'helios-fj-actions-'));
  try {
    const forge = forgeFor(standIn.url);
    const request = (sources: { type: 'forge'; forge: string }[] | ({ type: 'forge'; forge: string } | { type: 'dir'; path: string })[], cacheDir: string) => {
      const resolver = new ActionResolver({ policy: new ActionPolicy(['*'], false), cache: new ActionCache(join(data, cacheDir)), sources, forges: [forge], logger: silent });
      return { files: [{ path: '.forgejo/workflows/ci.yml', content: 'on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - uses: acme/greeter@v1\n        with: { who: x }\n' }], event: { name: 'push' as const, ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null, loadRemoteAction: resolver.forRun({ forge: null, trusted: true }) };
    };
    standIn.down(60_000);
    const fallback = await planOffThread(request([{ type: 'forge', forge: 'codeberg' }, { type: 'dir', path: market.dir }], 'a'));
    assert.equal(fallback.problems, []);
    assert.equal((fallback.jobs[0]!.steps[0] as NodeActionStep).action.sha, market.shas.get('acme/greeter'));
    try {
      await planOffThread(request([{ type: 'forge', forge: 'codeberg' }], 'b'));
      assert.unreachable('planning should fail while the only source is down');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'E_FORGE_UNAVAILABLE');
      assert.is((err as { retryable?: boolean }).retryable, true, 'the delivery is planned again later');
    }
  } finally {
    standIn.up();
    rmSync(data, { recursive: true, force: true });
    await standIn.stop();
    market.cleanup();
  }
});

test.run();
