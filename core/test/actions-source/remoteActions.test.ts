// Remote actions planned through the real path: the policy, a directory source of real git
// repositories (the air-gapped mirror), the per-host cache (git archive → tar → tree and action.tar)
// and the planning worker's protocol. The forge sources are driven in the forge plugins' tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createFakeForge, TestMarketplace } from '@helios-ci/sdk/testkit';
import type { CompositeStep, NodeActionStep, PlanEvent, RunPlan } from '@helios-ci/sdk';
import { ActionCache } from '../../src/actions-source/actionCache.js';
import { ActionPolicy } from '../../src/actions-source/actionPolicy.js';
import { ActionResolver, type RunActionContext } from '../../src/actions-source/actionResolver.js';
import type { ActionSourceConfig } from '../../src/actions-source/actionsConfig.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { plan, planOffThread, runPlanErrors } from '../../src/workflow/index.js';

const logger = createLogger({ name: 'test', sink: new MemoryLogSink(), redactor: new Redactor() });
const event: PlanEvent = { name: 'push', ref: 'refs/heads/main', sha: 'f'.repeat(40) };
const LOCAL: RunActionContext = { forge: null, trusted: true };

function world(options: { allow?: string[]; requireSha?: boolean } = {}) {
  const market = new TestMarketplace();
  const data = mkdtempSync(join(tmpdir(), 'helios-action-cache-'));
  const cache = new ActionCache(join(data, 'actions'));
  const sources: ActionSourceConfig[] = [{ type: 'run-forge' }, { type: 'dir', path: market.dir }];
  const resolver = new ActionResolver({ policy: new ActionPolicy(options.allow ?? ['*'], options.requireSha ?? false), cache, sources, forges: [], logger });
  return {
    market,
    cache,
    resolver,
    planWith(workflow: string, run: RunActionContext = LOCAL, offThread = false): Promise<RunPlan> {
      const request = { files: [{ path: '.github/workflows/ci.yml', content: workflow }], event, labels: ['ubuntu-latest'], readFile: async () => null, loadRemoteAction: resolver.forRun(run) };
      return offThread ? planOffThread(request) : plan(request);
    },
    cleanup() {
      market.cleanup();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: hi
        uses: acme/greeter@v1
        with:
          who: helios
      - uses: acme/toolbox/setup@v2
`;

test('a node20 action and a remote composite using another remote action plan with their commits (worker thread)', async () => {
  const w = world();
  try {
    const result = await w.planWith(WORKFLOW, LOCAL, true);
    assert.equal(result.problems, []);
    assert.equal(runPlanErrors(result), []);
    const [checkout, greeter, setup] = result.jobs[0]!.steps as [unknown, NodeActionStep, CompositeStep];
    assert.equal((checkout as { kind: string }).kind, 'builtin', 'actions/checkout stays native, never fetched');
    assert.equal(greeter.kind, 'node-action');
    assert.equal(greeter.action, { repo: 'acme/greeter', path: '', ref: 'v1', sha: w.market.shas.get('acme/greeter')! });
    assert.equal(greeter.using, 'node20');
    assert.equal([greeter.main, greeter.pre, greeter.post, greeter.preIf, greeter.postIf], ['dist/main.js', 'pre.js', 'post.js', "runner.os == 'illumos'", 'always()']);
    assert.equal(greeter.inputDefaults, { greeting: 'hello' });
    assert.equal(greeter.requiredInputs, ['who']);
    assert.equal(greeter.with, { who: 'helios' });
    assert.equal(setup.kind, 'composite');
    assert.equal(setup.action, { repo: 'acme/toolbox', path: 'setup', ref: 'v2', sha: w.market.shas.get('acme/toolbox')! });
    assert.equal(setup.outputs, { said: '${{ steps.greet.outputs.said }}' });
    const nested = setup.steps[0] as NodeActionStep;
    assert.equal([nested.kind, nested.action.sha, nested.with], ['node-action', w.market.shas.get('acme/greeter')!, { who: '${{ inputs.who }}' }]);
    assert.equal(w.cache.stats.stored, 2, 'each repository fetched once, though acme/greeter is used twice');
    // What agents fetch: the repository at the tar's root, no archive prefix.
    const tarPath = await w.cache.tarFile('acme/greeter', greeter.action.sha);
    const listing = execFileSync('tar', ['-tf', tarPath!], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.replace(/^\.\//, '')).filter(Boolean).sort();
    assert.equal(listing, ['action.yml', 'dist/', 'dist/main.js', 'post.js', 'pre.js']);
  } finally {
    w.cleanup();
  }
});

test('a docker action, an unknown ref and a missing action.yml are plan problems naming the step', async () => {
  const w = world();
  try {
    const result = await w.planWith(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/toolbox/container@v2
      - name: Missing ref
        uses: acme/greeter@v9
      - uses: acme/toolbox/nothing-here@v2
      - uses: nobody/nothing@v1
`);
    assert.equal(result.jobs, []);
    const messages = result.problems.map((p) => `${p.line}: ${p.message}`);
    assert.match(messages[0]!, /^6: .*step "Run acme\/toolbox\/container@v2" \(step 1\) uses acme\/toolbox\/container@v2, a container action .*container actions need Docker, which this runtime does not offer/);
    assert.match(messages[1]!, /^8: .*step "Missing ref" \(step 2\) uses acme\/greeter@v9: no action source has acme\/greeter at v9 \(tried directory /);
    assert.match(messages[2]!, /^9: .*uses acme\/toolbox\/nothing-here@v2: acme\/toolbox has no nothing-here\/action.yml or action.yaml at v2/);
    assert.match(messages[3]!, /^10: .*uses nobody\/nothing@v1: no action source has nobody\/nothing/);
  } finally {
    w.cleanup();
  }
});

test('a ref that moves after planning: the plan keeps its commit, whose tree stays cached; planning again takes the new one', async () => {
  const w = world();
  try {
    const first = await w.planWith(WORKFLOW);
    const planned = (first.jobs[0]!.steps[1] as NodeActionStep).action.sha;
    const moved = w.market.move('acme/greeter', 'v1', 'dist/main.js', 'console.log("v1 moved");\n');
    assert.not.equal(moved, planned);
    // A re-run uses the recorded plan: its commit is still served to agents, from this host.
    const tar = await w.cache.tarFile('acme/greeter', planned);
    assert.ok(tar);
    assert.equal(execFileSync('tar', ['-xOf', tar!, './dist/main.js'], { encoding: 'utf8' }).includes('moved'), false);
    const again = await w.planWith(WORKFLOW);
    assert.equal((again.jobs[0]!.steps[1] as NodeActionStep).action.sha, moved);
    // A workflow pinning the planned sha plans from the cache alone, even with the source gone.
    const stored = w.cache.stats.stored;
    w.market.cleanup();
    const pinned = await w.planWith(WORKFLOW.replace('acme/greeter@v1', `acme/greeter@${planned}`).replace(/\n      - uses: acme\/toolbox\/setup@v2\n/, '\n'));
    assert.equal(pinned.problems, []);
    assert.equal((pinned.jobs[0]!.steps[1] as NodeActionStep).action.sha, planned);
    assert.equal(w.cache.stats.stored, stored, 'no new fetch');
  } finally {
    w.cleanup();
  }
});

test('a second plan of the same commit is a cache hit: no second archive', async () => {
  const w = world();
  try {
    await w.planWith(WORKFLOW);
    const stored = w.cache.stats.stored;
    const hits = w.cache.stats.hits;
    await w.planWith(WORKFLOW);
    assert.equal(w.cache.stats.stored, stored);
    assert.ok(w.cache.stats.hits > hits);
  } finally {
    w.cleanup();
  }
});

test('policy: actions.allow and requireSha refuse with the rule and where to allow, fork pull requests included', async () => {
  const w = world({ allow: ['actions/*', 'acme/greeter@v1'] });
  try {
    const trusted = await w.planWith(WORKFLOW);
    assert.equal(trusted.problems.length, 1);
    assert.match(trusted.problems[0]!.message, /uses acme\/toolbox\/setup@v2: refused by actions\.allow in helios\.yaml: no entry matches acme\/toolbox\/setup@v2 \(allow: actions\/\*, acme\/greeter@v1\); add "acme\/toolbox" or "acme\/\*" to actions\.allow/);
    const fork = await w.planWith(WORKFLOW.replace('acme/toolbox/setup@v2', 'acme/greeter@main'), { forge: null, trusted: false });
    assert.match(fork.problems[0]!.message, /refused by actions\.allow in helios\.yaml \(this run is an untrusted fork pull request; the same list applies to it\): no entry matches acme\/greeter@main/);
    assert.equal(w.cache.stats.stored, 1, 'a refused action is never fetched');
  } finally {
    w.cleanup();
  }
  const pinned = world({ requireSha: true });
  try {
    const result = await pinned.planWith(WORKFLOW);
    assert.equal(result.problems.length, 2);
    assert.match(result.problems[0]!.message, /refused by actions\.requireSha: true in helios\.yaml: the ref "v1" is not a full commit sha; pin it \(acme\/greeter@<40-hex sha>\)/);
  } finally {
    pinned.cleanup();
  }
});

test('no source for a local run without configured sources: a problem that says how to add one', async () => {
  const data = mkdtempSync(join(tmpdir(), 'helios-action-cache-'));
  try {
    const resolver = new ActionResolver({ policy: new ActionPolicy(['*'], false), cache: new ActionCache(data), sources: [{ type: 'run-forge' }], forges: [], logger });
    const result = await plan({ files: [{ path: '.github/workflows/ci.yml', content: WORKFLOW }], event, labels: ['ubuntu-latest'], readFile: async () => null, loadRemoteAction: resolver.forRun(LOCAL) });
    assert.match(result.problems[0]!.message, /no action source can serve it: this run has no forge .*actions\.sources/);
    // How to fix it, for this very action: a mirror directory, or a forge that serves actions.
    assert.match(result.problems[0]!.message, /Add a directory of git mirrors, \{ type: dir, path: \/srv\/actions \}, holding \/srv\/actions\/acme\/greeter\.git \(git clone --mirror https:\/\/github\.com\/acme\/greeter \/srv\/actions\/acme\/greeter\.git\), or a forge that serves actions, \{ type: forge, forge: <instance> \}$/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('a run forge whose plugin cannot serve actions: the next source answers, else the problem says why', async () => {
  const w = world();
  try {
    const forge = createFakeForge({ id: 'legacy' });
    const viaDir = await w.planWith(WORKFLOW, { forge, trusted: true });
    assert.equal(viaDir.problems, [], 'the directory source after it has the actions');
    const data = mkdtempSync(join(tmpdir(), 'helios-action-cache-'));
    try {
      const only = new ActionResolver({ policy: new ActionPolicy(['*'], false), cache: new ActionCache(data), sources: [{ type: 'run-forge' }], forges: [], logger });
      const result = await plan({ files: [{ path: '.github/workflows/ci.yml', content: WORKFLOW }], event, labels: ['ubuntu-latest'], readFile: async () => null, loadRemoteAction: only.forRun({ forge, trusted: true }) });
      assert.match(result.problems[0]!.message, /no action source has acme\/greeter at v1 \(tried forge legacy \(its plugin cannot serve actions: no resolveRef\/fetchArchive\)\)/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  } finally {
    w.cleanup();
  }
});

test('the cache prunes entries unused for longer than the age', async () => {
  const w = world();
  try {
    await w.planWith(WORKFLOW);
    const greeter = w.market.shas.get('acme/greeter')!;
    const old = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(join(w.cache.root, 'acme', 'greeter', greeter), old, old);
    assert.equal(await w.cache.prune(30 * 86_400_000), 1);
    assert.equal(await w.cache.tarFile('acme/greeter', greeter), null);
    assert.ok(await w.cache.tarFile('acme/toolbox', w.market.shas.get('acme/toolbox')!), 'the recently used entry stays');
  } finally {
    w.cleanup();
  }
});

test.run();
