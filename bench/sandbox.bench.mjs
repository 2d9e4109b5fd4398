// sandbox: runtime-local's bubblewrap start-up overhead. The same one-step job (`echo`, with the
// real agent over gRPC and a file:// clone) RUNS times (default 10) unsandboxed and sandboxed,
// alternating so both see the same load. Per job: provision called → job finished (jobMs), and
// destroy (destroyMs). Medians; extraMs = sandboxed − plain job time (the baseline is the plain
// runtime in the same run). One JSON line on stdout.
//   npm run bench -- sandbox [RUNS]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentService } from '../core/dist/src/index.js';
import { PLAN_VERSION } from '../sdk/dist/src/index.js';
import { DEFAULT_LABELS, DEFAULT_PATH, defaultAgentPath, findBwrap, LocalRuntime } from '../plugins/runtime-local/dist/src/index.js';

const RUNS = Number(process.argv[2] ?? 10);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error('usage: npm run bench -- sandbox [RUNS]');
  process.exit(2);
}
const bwrap = findBwrap(DEFAULT_PATH);
if (!bwrap) {
  console.error('sandbox bench: bubblewrap is not installed (apt-get install bubblewrap)');
  process.exit(2);
}
const progress = (m) => process.stderr.write(`sandbox: ${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const now = () => Number(process.hrtime.bigint()) / 1e6;

const work = mkdtempSync(join(tmpdir(), 'helios-bench-sandbox-'));
const repo = join(work, 'repo');
mkdirSync(repo);
const git = (...args) => spawnSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@e', ...args], { cwd: repo, encoding: 'utf8' }).stdout.trim();
git('init', '-q');
writeFileSync(join(repo, 'f'), 'x\n');
git('add', '.');
git('commit', '-q', '-m', 'one');
const sha = git('rev-parse', 'HEAD');

const service = new AgentService({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 10_000 });
const { endpoint } = await service.start();
const base = { id: 'local', labels: [...DEFAULT_LABELS], agentPath: defaultAgentPath(), path: DEFAULT_PATH, killGraceMs: 1000 };
const runtimes = {
  plain: new LocalRuntime({ ...base, workRoot: join(work, 'plain') }),
  sandboxed: new LocalRuntime({ ...base, workRoot: join(work, 'sandboxed'), sandbox: { bwrap, protectedPaths: () => [join(work, 'data')] } }),
};
const sink = { onStepStarted() {}, onLog() {}, onStepFinished() {}, onAnnotation() {}, onFinished() {}, onLost() {} };

async function job(kind, n) {
  const jobId = `${kind}-${n}`;
  const spec = {
    planVersion: PLAN_VERSION, runId: 'bench', jobId,
    job: {
      id: jobId, workflow: { file: 'ci.yml', name: 'CI' }, jobKey: 'b', name: 'b', matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
      defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 10, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null },
      outputs: {}, secretNames: [],
      steps: [{ id: 's', name: 's', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'echo hello', shell: null, workingDirectory: null }],
    },
    repository: { fullName: 'bench/repo', cloneUrl: `file://${repo}`, sha, ref: 'refs/heads/main' },
    github: {}, needs: {}, inputs: {}, vars: {}, secrets: {},
  };
  const h = service.registerJob(spec, sink);
  const t0 = now();
  const machine = await runtimes[kind].provision({ jobId, label: 'local', cpus: 1, memoryMb: 256, volumes: [], agent: { endpoint, token: h.token }, sourceDir: repo });
  const conclusion = await h.done;
  const t1 = now();
  await runtimes[kind].destroy(machine);
  const t2 = now();
  if (conclusion !== 'success') throw new Error(`${jobId} ended ${conclusion}`);
  return { jobMs: t1 - t0, destroyMs: t2 - t1 };
}

const results = { plain: [], sandboxed: [] };
try {
  await job('plain', 'warm');
  await job('sandboxed', 'warm');
  for (let i = 0; i < RUNS; i++) {
    for (const kind of i % 2 ? ['sandboxed', 'plain'] : ['plain', 'sandboxed']) results[kind].push(await job(kind, i));
    progress(`${i + 1}/${RUNS}`);
  }
} finally {
  await service.stop();
  rmSync(work, { recursive: true, force: true });
}
const pick = (kind, k) => median(results[kind].map((r) => r[k]));
process.stdout.write(
  JSON.stringify({
    bench: 'sandbox',
    runs: RUNS,
    job: 'one step (echo), file:// clone, real agent over gRPC',
    sandboxed: { jobMs: pick('sandboxed', 'jobMs'), destroyMs: pick('sandboxed', 'destroyMs') },
    baseline: { what: 'the same job on runtime-local without the sandbox', jobMs: pick('plain', 'jobMs'), destroyMs: pick('plain', 'destroyMs') },
    extraMs: pick('sandboxed', 'jobMs') - pick('plain', 'jobMs'),
    samples: { sandboxedJobMs: results.sandboxed.map((r) => Math.round(r.jobMs)), plainJobMs: results.plain.map((r) => Math.round(r.jobMs)) },
  }) + '\n',
);
