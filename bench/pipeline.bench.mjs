// `npm run bench -- pipeline`: the fixed and per-step cost of `helios run` (the whole kernel: store,
// queue, orchestrator, gRPC, agent, local runtime) for one job of 20 and one of 100 trivial steps,
// against a bare Node script that spawns the same steps (`bash -e <script>`) in sequence, measured in
// the same run. Prints one JSON line: intercept (ms) and slope (ms/step) of both, and the slope ratio.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'core/dist/src/cli/bin.js');
// Seven rounds: the slope is a difference of two ~1.5 s wall times over 80 steps, so startup noise
// of ±150 ms in a single round moves it by ±2 ms; medians of seven hold it steady.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SIZES = [20, 100];

function makeRepo(steps) {
  const dir = mkdtempSync(join(tmpdir(), `helios-bench-pipeline-${steps}-`));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  const lines = ['on: push', 'jobs:', '  trivial:', '    runs-on: local', '    steps:', ...Array.from({ length: steps }, () => '      - run: "true"')];
  writeFileSync(join(dir, '.github/workflows/bench.yml'), lines.join('\n') + '\n');
  const git = (...a) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...a], { cwd: dir });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'bench');
  return dir;
}

function timeHelios(dir) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'run', '--json'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`helios run failed: ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return ms;
}

async function timeBare(steps) {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bench-bare-'));
  const started = process.hrtime.bigint();
  // What a minimal runner does per step: write the script, spawn the shell, wait for it.
  for (let i = 0; i < steps; i++) {
    const file = join(dir, `step-${i}.sh`);
    writeFileSync(file, 'true\n');
    await new Promise((resolve, reject) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`step exited ${code}`))));
    });
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fit = ([a, b]) => {
  const slope = (b.ms - a.ms) / (b.steps - a.steps);
  return { interceptMs: Math.round(a.ms - slope * a.steps), slopeMs: Number(slope.toFixed(2)) };
};

const repos = Object.fromEntries(SIZES.map((n) => [n, makeRepo(n)]));
const helios = { 20: [], 100: [] };
const bare = { 20: [], 100: [] };
timeHelios(repos[20]); // warm-up: file cache, JIT
for (let round = 0; round < ROUNDS; round++) {
  for (const n of SIZES) {
    helios[n].push(timeHelios(repos[n]));
    bare[n].push(await timeBare(n));
    process.stderr.write(`round ${round + 1}/${ROUNDS}: ${n} steps helios ${helios[n].at(-1).toFixed(0)} ms, bare ${bare[n].at(-1).toFixed(0)} ms\n`);
  }
}
for (const dir of Object.values(repos)) rmSync(dir, { recursive: true, force: true });

const h = fit(SIZES.map((n) => ({ steps: n, ms: median(helios[n]) })));
const b = fit(SIZES.map((n) => ({ steps: n, ms: median(bare[n]) })));
const slopeRatio = Number((h.slopeMs / b.slopeMs).toFixed(2));
console.log(
  JSON.stringify({
    bench: 'pipeline',
    rounds: ROUNDS,
    heliosMs: Object.fromEntries(SIZES.map((n) => [n, Math.round(median(helios[n]))])),
    bareMs: Object.fromEntries(SIZES.map((n) => [n, Math.round(median(bare[n]))])),
    helios: h,
    bare: b,
    slopeRatio,
    budget: { slopeRatio: 1.5, interceptMs: 1500 },
    withinBudget: slopeRatio <= 1.5 && h.interceptMs < 1500,
  }),
);
