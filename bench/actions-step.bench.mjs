// actions-step: the per-step cost of a node20 JavaScript action that does nothing, against a `run:`
// step that does nothing (`true`) — the same-run baseline. One job per kind with STEPS steps each,
// run by the real bundled agent against the real AgentService over loopback; the action's tree is
// served by FetchAction from a tar made with `tar` (fetched once, at "Set up job", not per step).
// A step's time is StepStarted.ts → StepFinished.ts as the agent stamps them; medians are reported.
// Rounds alternate the two kinds (the machine is shared and noisy).
//   npm run bench -- actions-step [STEPS] [ROUNDS]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentService } from '@helios-ci/core';
import { PLAN_VERSION } from '@helios-ci/sdk';

const here = dirname(fileURLToPath(import.meta.url));
const agentBundle = join(here, '../agent/dist/helios-agent.mjs');
const STEPS = Number(process.argv[2] ?? 20);
const ROUNDS = Number(process.argv[3] ?? 3);
if (!Number.isInteger(STEPS) || STEPS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: npm run bench -- actions-step [STEPS] [ROUNDS]');
  process.exit(2);
}
const progress = (m) => process.stderr.write(`actions-step: ${m}\n`);
const ACTION = { repo: 'bench/noop-action', path: '', ref: 'v1', sha: createHash('sha1').update('noop').digest('hex') };

function sh(cwd, argv) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@e', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@e' } });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const common = (id) => ({ id, name: id, if: null, env: {}, continueOnError: false, timeoutMinutes: null });
const runStep = (id) => ({ ...common(id), kind: 'run', run: 'true', shell: null, workingDirectory: null });
const actionStep = (id) => ({ ...common(id), kind: 'node-action', uses: `${ACTION.repo}@${ACTION.ref}`, action: ACTION, using: 'node20', main: 'index.js', with: {}, inputDefaults: {}, requiredInputs: [] });

async function main() {
  const root = mkdtempSync(join(tmpdir(), 'helios-bench-actions-step-'));
  const repo = join(root, 'repo');
  mkdirSync(repo);
  sh(repo, ['git', 'init', '-q']);
  writeFileSync(join(repo, 'x'), 'x\n');
  sh(repo, ['git', 'add', '.']);
  sh(repo, ['git', 'commit', '-q', '-m', 'x']);
  const sha = sh(repo, ['git', 'rev-parse', 'HEAD']);
  const tree = join(root, 'action');
  mkdirSync(tree);
  writeFileSync(join(tree, 'action.yml'), 'name: noop\nruns:\n  using: node20\n  main: index.js\n');
  writeFileSync(join(tree, 'index.js'), '// does nothing\n');
  const tarFile = join(root, 'action.tar');
  sh(root, ['tar', '-cf', tarFile, '-C', tree, '--', 'action.yml', 'index.js']);
  const actionTrees = { tarFile: async (r, s) => (r === ACTION.repo && s === ACTION.sha ? tarFile : null) };
  const service = new AgentService({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 30_000, actionTrees });
  const { endpoint } = await service.start();
  let n = 0;
  const runJob = async (kind) => {
    n++;
    const steps = Array.from({ length: STEPS }, (_, i) => (kind === 'action' ? actionStep : runStep)(`s${i}`));
    const spec = {
      planVersion: PLAN_VERSION, runId: `r${n}`, jobId: `bench-${n}`,
      job: {
        id: `bench#${n}`, workflow: { file: 'b.yml', name: 'b' }, jobKey: 'b', name: 'b', matrix: null, needs: [], if: null, runsOn: ['local'], env: {},
        defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 10, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null },
        outputs: {}, secretNames: [], steps,
      },
      repository: { fullName: 'bench/repo', cloneUrl: `file://${repo}`, sha, ref: 'refs/heads/main' },
      github: {}, needs: {}, inputs: {}, vars: {}, secrets: {},
    };
    const started = new Map();
    const durations = [];
    const failed = [];
    const sink = {
      onStepStarted: (e) => started.set(e.step, e.ts),
      onLog() {},
      onStepFinished: (e) => {
        if (e.step === '__setup') return;
        if (e.conclusion !== 'success') failed.push(e.step);
        durations.push(e.ts - started.get(e.step));
      },
      onAnnotation() {},
      onFinished() {},
      onLost() {},
    };
    const handle = service.registerJob(spec, sink);
    const work = join(root, `agent-${n}`);
    const agent = spawn(process.execPath, [agentBundle, '--endpoint', endpoint, '--token', handle.token, '--workdir', work], { env: { PATH: process.env.PATH, HOME: root }, stdio: 'ignore' });
    const exited = new Promise((r) => agent.once('exit', r));
    const conclusion = await handle.done;
    await exited;
    if (conclusion !== 'success' || failed.length > 0 || durations.length !== STEPS) throw new Error(`${kind} job: ${conclusion}, failed steps ${failed.join(', ')}`);
    rmSync(work, { recursive: true, force: true });
    return durations;
  };
  const all = { run: [], action: [] };
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      for (const kind of ['run', 'action']) all[kind].push(...(await runJob(kind)));
      progress(`round ${r}/${ROUNDS}: run median ${median(all.run)} ms, action median ${median(all.action)} ms`);
    }
  } finally {
    await service.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const runMs = median(all.run);
  const actionMs = median(all.action);
  process.stdout.write(`${JSON.stringify({
    bench: 'actions-step',
    node: process.version,
    stepsPerJob: STEPS,
    rounds: ROUNDS,
    nodeActionStepMedianMs: actionMs,
    baseline: { runStepMedianMs: runMs },
    overheadMs: +(actionMs - runMs).toFixed(1),
  })}\n`);
}

await main();
