// Realistic workflows of public projects that use marketplace actions (dtolnay/rust-toolchain,
// actions/setup-*, Swatinem/rust-cache, golangci-lint, codecov, setup-uv, github-script, ...),
// planned through the real remote-action path: a directory source of git repositories holding
// minimal copies of those actions' action.yml (core/test/fixtures/marketplace/actions), the
// per-host cache and the policy. Each plan must be valid, pin every remote step to the commit its
// ref names, keep the built-ins native, and match the committed step summary (expected.json).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestMarketplace, type MarketplaceRepo } from '@helios-ci/sdk/testkit';
import type { Step } from '@helios-ci/sdk';
import { ActionCache } from '../../src/actions-source/actionCache.js';
import { ActionPolicy } from '../../src/actions-source/actionPolicy.js';
import { ActionResolver } from '../../src/actions-source/actionResolver.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { DEFAULT_LABELS, plan, runPlanErrors } from '../../src/workflow/index.js';
import { corpusEvent } from './fixtures.js';

const root = fileURLToPath(new URL('../../../test/fixtures/marketplace/', import.meta.url));
const workflowsDir = join(root, 'workflows');
const expectedFile = join(root, 'expected.json');
const refs = JSON.parse(readFileSync(join(root, 'refs.json'), 'utf8')) as Record<string, string[]>;

function filesOf(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, filesOf(full, base));
    else out[relative(base, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

const repos: Record<string, MarketplaceRepo> = Object.fromEntries(Object.entries(refs).map(([full, tags]) => [full, { files: filesOf(join(root, 'actions', ...full.split('/'))), tags }]));
const market = new TestMarketplace(repos);
const data = mkdtempSync(join(tmpdir(), 'helios-marketplace-cache-'));
const cache = new ActionCache(join(data, 'actions'));
const resolver = new ActionResolver({
  policy: new ActionPolicy(['*'], false),
  cache,
  sources: [{ type: 'dir', path: market.dir }],
  forges: [],
  logger: createLogger({ name: 'test', sink: new MemoryLogSink(), redactor: new Redactor() }),
});

/** One line per step: kind, uses and, for remote actions, what runs and from where. */
function summary(steps: Step[]): string[] {
  return steps.flatMap((s): string[] => {
    if (s.kind === 'run') return ['run'];
    if (s.kind === 'builtin') return [`builtin ${s.action} (${s.uses})`];
    if (s.kind === 'node-action') return [`node-action ${s.uses} ${s.using} main=${s.main}${s.pre ? ` pre=${s.pre}` : ''}${s.post ? ` post=${s.post}` : ''}${s.postIf ? ` post-if=${s.postIf}` : ''} required=[${s.requiredInputs.join(',')}]`];
    return [`composite ${s.uses}${s.action ? ` from ${s.action.repo}/${s.action.path}` : ''}`, ...summary(s.steps).map((l) => `  ${l}`)];
  });
}

function remoteSteps(steps: Step[]): Step[] {
  return steps.flatMap((s) => (s.kind === 'composite' ? [...(s.action ? [s] : []), ...remoteSteps(s.steps)] : s.kind === 'node-action' ? [s] : []));
}

const files = readdirSync(workflowsDir).filter((f) => f.endsWith('.yml')).sort();
const expected = JSON.parse(readFileSync(expectedFile, 'utf8').toString() || '{}') as Record<string, Record<string, string[]>>;
const regenerated: Record<string, Record<string, string[]>> = {};
const used = new Set<string>();

test('the marketplace corpus has at least six workflows', () => {
  assert.ok(files.length >= 6, `${files.length} workflows`);
});

for (const f of files) {
  test(`marketplace/${f} plans with every remote action pinned to its commit`, async () => {
    const text = readFileSync(join(workflowsDir, f), 'utf8');
    const result = await plan({ files: [{ path: `.github/workflows/${f}`, content: text }], event: corpusEvent(text), labels: DEFAULT_LABELS, readFile: async () => null, loadRemoteAction: resolver.forRun({ forge: null, trusted: true }) });
    assert.equal(result.problems, []);
    assert.equal(runPlanErrors(result), []);
    assert.ok(result.jobs.length > 0);
    const jobs: Record<string, string[]> = {};
    for (const job of result.jobs) {
      jobs[job.id] = summary(job.steps);
      for (const step of remoteSteps(job.steps)) {
        const action = (step as { action: { repo: string; sha: string } }).action;
        assert.equal(action.sha, market.shas.get(action.repo), `${(step as { uses: string }).uses} is pinned to the commit its ref names`);
        used.add(action.repo);
      }
    }
    regenerated[f] = jobs;
    if (process.env.HELIOS_REGEN_MARKETPLACE === '1') return;
    assert.equal(jobs, expected[f]);
  });
}

test('every fixture action was used, and each repository was fetched once', () => {
  assert.equal([...used].sort(), Object.keys(refs).sort());
  assert.equal(cache.stats.stored, Object.keys(refs).length);
  if (process.env.HELIOS_REGEN_MARKETPLACE === '1') writeFileSync(expectedFile, `${JSON.stringify(regenerated, null, 2)}\n`);
  market.cleanup();
  rmSync(data, { recursive: true, force: true });
});

test.run();
