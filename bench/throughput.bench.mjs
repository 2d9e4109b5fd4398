// throughput: one run per size (default 10, 100 and 1,000 jobs), each matrices of one-step no-op jobs
// (`run: true`) at concurrency 8, through a real `helios serve` with the local runtime (a fresh server
// and data directory per size, so one size's rows do not slow the next). Submitted as ONE run through
// POST /api/runs, so the figure covers the whole path: mirror + planning, queue, provisioning an
// agent per job, gRPC, store, teardown. Per size: jobs/s (wall clock from the POST until the run
// completed) and the serve process's CPU per job, read from its own /metrics
// (process_cpu_seconds_total) before the POST and after the run; the agents' own CPU is not included.
// Baseline, same run: the bare cost of the same processes with no Helios — per job, the agent bundle
// is started (`helios-agent --help`: node loads the same bundle and exits) and then `bash -c true`
// runs the step, at the same concurrency. The bench checks every job succeeded and the run concluded
// success. Prints one JSON line; progress on stderr.
//   npm run bench -- throughput [SIZES] [CONCURRENCY]      (SIZES: comma list, default 10,100,1000)
//   BENCH_CPU_PROF=DIR also writes the server's V8 CPU profile (one .cpuprofile per size) into DIR.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../core/dist/src/cli/bin.js');
const AGENT = join(here, '../agent/dist/helios-agent.mjs');
const SIZES = String(process.argv[2] ?? '10,100,1000').split(',').map(Number);
const CONCURRENCY = Number(process.argv[3] ?? 8);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  console.error('usage: npm run bench -- throughput [SIZES e.g. 10,100,1000] [CONCURRENCY]');
  process.exit(2);
}
const progress = (m) => process.stderr.write(`throughput: ${m}\n`);

function makeRepo(dir, jobs) {
  const git = (args) => {
    const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
  };
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  // A matrix may produce at most 256 jobs: larger sizes are several matrix jobs of ≤ 250 in the one workflow.
  let yml = 'on: push\njobs:\n';
  for (let first = 0, k = 0; first < jobs; first += 250, k++) {
    const values = Array.from({ length: Math.min(250, jobs - first) }, (_, i) => first + i + 1).join(', ');
    yml += `  part${k}:\n    runs-on: local\n    strategy:\n      fail-fast: false\n      matrix:\n        i: [${values}]\n    steps:\n      - run: true\n`;
  }
  writeFileSync(join(dir, '.github/workflows/bench.yml'), yml);
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'bench']);
}

function startServe(root) {
  // BENCH_CPU_PROF=DIR: the server writes a V8 CPU profile there when it stops (for finding hot paths).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, CLI, 'serve', '--listen', '127.0.0.1:0', '--config', join(root, 'helios.yaml')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${err}`)));
  });
  return { child, url };
}

async function stopServe(serve) {
  if (serve.child.exitCode !== null) return;
  const exited = new Promise((r) => serve.child.once('exit', r));
  process.kill(serve.child.pid, 'SIGTERM');
  const timer = setTimeout(() => serve.child.exitCode === null && process.kill(serve.child.pid, 'SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function cpuSeconds(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total '));
  if (!line) throw new Error('/metrics has no process_cpu_seconds_total');
  return Number(line.split(' ')[1]);
}

async function helios(jobs) {
  const root = mkdtempSync(join(tmpdir(), 'helios-bench-throughput-'));
  let serve = null;
  try {
    makeRepo(join(root, 'repo'), jobs);
    writeFileSync(
      join(root, 'helios.yaml'),
      `server:\n  dataDir: ./data\nlimits:\n  concurrentJobs: ${CONCURRENCY}\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config:\n      workRoot: ./work\n`,
    );
    serve = startServe(root);
    const url = await serve.url;
    const token = readFileSync(join(root, 'data/admin-token'), 'utf8').trim();
    progress(`serve at ${url}; submitting ${jobs} jobs at concurrency ${CONCURRENCY}`);

    const cpuBefore = await cpuSeconds(url);
    const started = process.hrtime.bigint();
    const res = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ repository: join(root, 'repo'), ref: 'main' }),
    });
    const run = await res.json();
    if (res.status !== 201) throw new Error(`POST /api/runs: ${res.status} ${JSON.stringify(run)}`);
    if (run.jobs.length !== jobs) throw new Error(`planned ${run.jobs.length} jobs, expected ${jobs}`);

    // The run summary (one store query) is polled, not the full run view, to keep the poll's own cost out.
    let summary;
    for (let reported = 0; ; ) {
      await new Promise((r) => setTimeout(r, 250));
      summary = (await (await fetch(`${url}/api/runs?limit=1`)).json()).runs[0];
      if (summary.state === 'completed') break;
      const done = jobs - (summary.jobs.queued ?? 0) - (summary.jobs.provisioning ?? 0) - (summary.jobs.running ?? 0);
      if (done >= reported + jobs / 5) progress(`${(reported = done)}/${jobs} jobs finished`);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuMs = ((await cpuSeconds(url)) - cpuBefore) * 1000;
    const succeeded = summary.jobs.succeeded ?? 0;
    if (succeeded !== jobs || summary.conclusion !== 'success') throw new Error(`only ${succeeded} of ${jobs} jobs succeeded (${summary.conclusion}): ${JSON.stringify(summary.jobs)}`);
    return { jobs, seconds: +seconds.toFixed(2), jobsPerSecond: +(jobs / seconds).toFixed(2), orchestratorCpuMsPerJob: +(cpuMs / jobs).toFixed(2) };
  } finally {
    if (serve) await stopServe(serve);
    rmSync(root, { recursive: true, force: true });
  }
}

/** The same processes per job with no Helios: the agent bundle loads and exits, then `bash -c true`. */
async function bare(jobs) {
  const one = (argv) =>
    new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
  const started = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < jobs) {
      next++;
      const agent = await one([process.execPath, AGENT, '--help']);
      if (agent !== 0) throw new Error(`helios-agent --help exited ${agent}`);
      const step = await one(['bash', '-c', 'true']);
      if (step !== 0) throw new Error(`bash -c true exited ${step}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, jobs) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { jobs, seconds: +seconds.toFixed(2), jobsPerSecond: +(jobs / seconds).toFixed(2) };
}

const sizes = [];
for (const n of SIZES) {
  const h = await helios(n);
  const b = await bare(n);
  progress(`${n} jobs: ${h.jobsPerSecond} jobs/s (bare ${b.jobsPerSecond}), ${h.orchestratorCpuMsPerJob} ms CPU/job`);
  sizes.push({ ...h, bareJobsPerSecond: b.jobsPerSecond, ratioToBare: +(h.jobsPerSecond / b.jobsPerSecond).toFixed(2) });
}
const perJob = sizes.map((s) => s.orchestratorCpuMsPerJob);
process.stdout.write(
  JSON.stringify({
    bench: 'throughput',
    concurrency: CONCURRENCY,
    submitted: 'one POST /api/runs per size, an N-entry matrix of `run: true` jobs',
    baseline: 'bare: per job `node helios-agent.mjs --help` then `bash -c true`, same concurrency, no Helios',
    sizes,
    orchestratorCpuMsPerJob: Object.fromEntries(sizes.map((s) => [s.jobs, s.orchestratorCpuMsPerJob])),
    slope: perJob.length > 1 ? +(perJob[perJob.length - 1] / perJob[0]).toFixed(2) : null,
  }) + '\n',
);
