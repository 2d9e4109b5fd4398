// throughput: 200 one-step jobs (`run: true`) at concurrency 8 through a real `helios serve` with the
// local runtime. Submitted as ONE run through POST /api/runs whose workflow has a 200-entry matrix, so
// the figure covers the whole path: mirror + planning, queue, provisioning an agent per job, gRPC,
// store, teardown. Prints one JSON line: jobs/s (wall clock from the POST until the run completed)
// and the serve process's CPU per job, read from its own /metrics (process_cpu_seconds_total)
// before the POST and after the run; the agents' own CPU is not included. Progress on stderr.
//   npm run bench -- throughput [JOBS] [CONCURRENCY]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../core/dist/src/cli/bin.js');
const JOBS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const progress = (m) => process.stderr.write(`throughput: ${m}\n`);

function makeRepo(dir) {
  const git = (args) => {
    const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
  };
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  const values = Array.from({ length: JOBS }, (_, i) => i + 1).join(', ');
  writeFileSync(
    join(dir, '.github/workflows/bench.yml'),
    `on: push\njobs:\n  one:\n    runs-on: local\n    strategy:\n      fail-fast: false\n      matrix:\n        i: [${values}]\n    steps:\n      - run: true\n`,
  );
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'bench']);
}

function startServe(root) {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--config', join(root, 'helios.yaml')], {
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

async function cpuSeconds(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total '));
  if (!line) throw new Error('/metrics has no process_cpu_seconds_total');
  return Number(line.split(' ')[1]);
}

const root = mkdtempSync(join(tmpdir(), 'helios-bench-throughput-'));
let serve = null;
try {
  makeRepo(join(root, 'repo'));
  writeFileSync(
    join(root, 'helios.yaml'),
    `server:\n  dataDir: ./data\nlimits:\n  concurrentJobs: ${CONCURRENCY}\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config:\n      workRoot: ./work\n`,
  );
  serve = startServe(root);
  const url = await serve.url;
  const token = readFileSync(join(root, 'data/admin-token'), 'utf8').trim();
  progress(`serve at ${url}; submitting ${JOBS} jobs at concurrency ${CONCURRENCY}`);

  const cpuBefore = await cpuSeconds(url);
  const started = process.hrtime.bigint();
  const res = await fetch(`${url}/api/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ repository: join(root, 'repo'), ref: 'main' }),
  });
  const run = await res.json();
  if (res.status !== 201) throw new Error(`POST /api/runs: ${res.status} ${JSON.stringify(run)}`);
  if (run.jobs.length !== JOBS) throw new Error(`planned ${run.jobs.length} jobs, expected ${JOBS}`);

  // The run summary (one store query) is polled, not the full run view, to keep the poll's own cost out.
  let summary;
  for (let reported = 0; ; ) {
    await new Promise((r) => setTimeout(r, 250));
    summary = (await (await fetch(`${url}/api/runs?limit=1`)).json()).runs[0];
    if (summary.state === 'completed') break;
    const done = JOBS - (summary.jobs.queued ?? 0) - (summary.jobs.provisioning ?? 0) - (summary.jobs.running ?? 0);
    if (done >= reported + JOBS / 5) progress(`${(reported = done)}/${JOBS} jobs finished`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = await cpuSeconds(url);
  const succeeded = summary.jobs.succeeded ?? 0;
  if (succeeded !== JOBS) throw new Error(`only ${succeeded} of ${JOBS} jobs succeeded: ${JSON.stringify(summary.jobs)}`);
  const cpuMs = (cpuAfter - cpuBefore) * 1000;
  process.stdout.write(
    JSON.stringify({
      bench: 'throughput',
      jobs: JOBS,
      concurrency: CONCURRENCY,
      submitted: `one POST /api/runs, ${JOBS}-entry matrix`,
      seconds: +seconds.toFixed(2),
      jobsPerSecond: +(JOBS / seconds).toFixed(2),
      orchestratorCpuMsPerJob: +(cpuMs / JOBS).toFixed(2),
      orchestratorCpuMs: Math.round(cpuMs),
      conclusion: summary.conclusion,
    }) + '\n',
  );
} finally {
  if (serve && serve.child.exitCode === null) {
    const exited = new Promise((r) => serve.child.once('exit', r));
    process.kill(serve.child.pid, 'SIGTERM');
    const timer = setTimeout(() => serve.child.exitCode === null && process.kill(serve.child.pid, 'SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(root, { recursive: true, force: true });
}
