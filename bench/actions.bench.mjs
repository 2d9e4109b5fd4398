// `npm run bench -- actions [N]`: resolving and fetching a remote action (uses: acme/greeter@v1) as
// planning does it — through the Forgejo stand-in on loopback (repoGetSingleCommit + repoGetArchive,
// then unpack into the per-host cache) — first (empty cache) vs cached (same ref: one resolve call,
// no archive) vs pinned sha already cached (no forge call). Baseline from the same run: planning the
// same workflow with the action replaced by a run step. Median of N (default 15). Then the per-step
// overhead of a node20 action vs a run: step (actions-step.bench.mjs, its own run). One JSON line.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionCache } from '../core/dist/src/actions-source/actionCache.js';
import { ActionPolicy } from '../core/dist/src/actions-source/actionPolicy.js';
import { ActionResolver } from '../core/dist/src/actions-source/actionResolver.js';
import { plan } from '../core/dist/src/workflow/index.js';
import { TestMarketplace } from '../sdk/dist/src/testkit/index.js';
import { ForgejoForge } from '../plugins/forge-forgejo/dist/src/forgejoForge.js';
import { ForgejoStandIn } from '../plugins/forge-forgejo/dist/test/standIn/server.js';

const N = Number(process.argv[2] ?? 15);
const TOKEN = 'bench-token-0123456789';
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 100) / 100;

const market = new TestMarketplace();
const standIn = await ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'greeter', dir: market.repoDir('acme/greeter'), id: 1 }] });
const forge = new ForgejoForge({ id: 'bench', logger: silent, config: { baseUrl: standIn.url, token: TOKEN, webhookSecret: 'bench-secret', contextTemplate: 'helios/{workflow}/{job}', requestsPerMinute: 120, requestTimeoutSeconds: 20 } });
const sha = market.shas.get('acme/greeter');
const workflow = (uses) => `on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - uses: ${uses}\n        with: { who: bench }\n`;
const runOnly = 'on: push\njobs:\n  b:\n    runs-on: local\n    steps:\n      - run: echo bench\n';
const request = (text, resolver) => ({ files: [{ path: '.github/workflows/ci.yml', content: text }], event: { name: 'push', ref: 'refs/heads/main' }, labels: ['local'], readFile: async () => null, ...(resolver && { loadRemoteAction: resolver.forRun({ forge, trusted: true }) }) });
const timed = async (fn) => {
  const t0 = performance.now();
  const r = await fn();
  const ms = performance.now() - t0;
  if (r.problems.length) throw new Error(r.problems[0].message);
  return ms;
};

const first = [];
const cached = [];
const pinned = [];
const baseline = [];
const root = mkdtempSync(join(tmpdir(), 'helios-bench-actions-'));
try {
  for (let i = -2; i < N; i++) {
    const cache = new ActionCache(join(root, `cache-${i}`));
    const resolver = new ActionResolver({ policy: new ActionPolicy(['*'], false), cache, sources: [{ type: 'run-forge' }], forges: [forge], logger: silent });
    const a = await timed(() => plan(request(workflow('acme/greeter@v1'), resolver)));
    const b = await timed(() => plan(request(workflow('acme/greeter@v1'), resolver)));
    const c = await timed(() => plan(request(workflow(`acme/greeter@${sha}`), resolver)));
    const d = await timed(() => plan(request(runOnly)));
    if (i < 0) continue; // warm-up
    first.push(a);
    cached.push(b);
    pinned.push(c);
    baseline.push(d);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
  await standIn.stop();
  market.cleanup();
}
process.stderr.write(`bench actions: ${N} rounds; archive downloads ${standIn.archiveDownloads.length}\n`);
// The second figure, the per-step overhead of a node20 action vs a run: step, is measured by
// actions-step.bench.mjs (real agent and service); run it here so `bench -- actions` prints one line.
const stepLine = execFileSync(process.execPath, [fileURLToPath(new URL('./actions-step.bench.mjs', import.meta.url))], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
const step = JSON.parse(stepLine);
console.log(JSON.stringify({
  bench: 'actions',
  rounds: N,
  firstResolveAndFetchMedianMs: round(median(first)),
  cachedSameRefMedianMs: round(median(cached)),
  cachedPinnedShaMedianMs: round(median(pinned)),
  baselinePlanRunStepMedianMs: round(median(baseline)),
  archiveDownloads: standIn.archiveDownloads.length,
  nodeActionStepMedianMs: step.nodeActionStepMedianMs,
  runStepMedianMs: step.baseline.runStepMedianMs,
  perStepOverheadMs: step.overheadMs,
}));
