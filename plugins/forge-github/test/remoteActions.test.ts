// Remote actions through the GitHub stand-in: `resolveRef` (commits/{ref} as the sha media type) and
// `fetchArchive` (tarball → codeload redirect, under `owner-repo-sha7/`) with the planned repository's
// installation token, which reads public repositories of other owners as GitHub's does; planned
// through Helios's action resolver and per-host cache.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ActionCache, ActionPolicy, ActionResolver, planWorkflows } from '@helios-ci/core';
import { TestMarketplace } from '@helios-ci/sdk/testkit';
import type { CompositeStep, NodeActionStep, RunPlan } from '@helios-ci/sdk';
import { createWorld, INSTALLATION, silentLogger } from './helpers/world.js';

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: local
    steps:
      - uses: acme/greeter@v1
        with: { who: octocat }
      - uses: acme/toolbox/setup@v2
      - uses: acme/toolbox/container@v2
`;

test('actions resolve to commits and are fetched once per host through the GitHub API', async () => {
  const world = await createWorld();
  const market = new TestMarketplace();
  const data = mkdtempSync(join(tmpdir(), 'helios-gh-actions-'));
  try {
    // Public repositories of another installation: the planned repository's token still reads them.
    for (const name of ['greeter', 'toolbox']) world.standIn.addRepo({ owner: 'acme', name, installationId: 777, dir: market.repoDir(`acme/${name}`), private: false });
    world.standIn.addRepo({ owner: 'secret', name: 'action', installationId: 778, dir: market.repoDir('acme/greeter') });
    const forge = world.forge();
    const cache = new ActionCache(join(data, 'actions'));
    const resolver = new ActionResolver({ policy: new ActionPolicy(['*'], false), cache, sources: [{ type: 'run-forge' }], forges: [forge], logger: silentLogger });
    const planned = (text: string): Promise<RunPlan> =>
      planWorkflows({ files: [{ path: '.github/workflows/ci.yml', content: text }], event: { name: 'push', ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null, loadRemoteAction: resolver.forRun({ forge, installationId: String(INSTALLATION), trusted: true }) });

    const first = await planned(WORKFLOW);
    assert.equal(first.problems.length, 1);
    assert.match(first.problems[0]!.message, /uses acme\/toolbox\/container@v2, a container action .*container actions need Docker, which this runtime does not offer/);
    const ok = await planned(WORKFLOW.replace(/\n      - uses: acme\/toolbox\/container@v2\n/, '\n'));
    assert.equal(ok.problems, []);
    const [greeter, setup] = ok.jobs[0]!.steps as [NodeActionStep, CompositeStep];
    assert.equal(greeter.action.sha, market.shas.get('acme/greeter'));
    assert.equal(setup.action?.sha, market.shas.get('acme/toolbox'));
    assert.equal((setup.steps[0] as NodeActionStep).action.sha, market.shas.get('acme/greeter'));
    assert.equal(world.standIn.archiveDownloads.sort(), [`acme/greeter@${market.shas.get('acme/greeter')}`, `acme/toolbox@${market.shas.get('acme/toolbox')}`], 'one archive per repository, though three plans read them');
    assert.equal(world.standIn.rejections, []);

    // The tag moves: the plan made before keeps its commit (cached), a new plan takes the new one.
    const before = greeter.action.sha;
    const moved = market.move('acme/greeter', 'v1', 'dist/main.js', 'console.log(2);\n');
    assert.ok(await cache.tarFile('acme/greeter', before));
    const again = await planned('on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - uses: acme/greeter@v1\n        with: { who: x }\n');
    assert.equal((again.jobs[0]!.steps[0] as NodeActionStep).action.sha, moved);
    assert.equal(world.standIn.archiveDownloads.length, 3);

    // A private repository the installation does not cover: no such action, as on GitHub.
    const hidden = await planned('on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - uses: secret/action@v1\n');
    assert.match(hidden.problems[0]!.message, /uses secret\/action@v1: no action source has secret\/action at v1 \(tried forge github\)/);
  } finally {
    rmSync(data, { recursive: true, force: true });
    market.cleanup();
    await world.cleanup();
  }
});

test.run();
