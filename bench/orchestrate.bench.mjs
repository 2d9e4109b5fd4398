// orchestrate: the orchestrator's own CPU per job, without processes. The real Orchestrator, store
// (SQLite file, WAL) and in-process queue run one run per size (default 10, 100 and 1,000 jobs: a
// matrix of one-step jobs) at concurrency 8; the runtime and agent service are stand-ins that
// provision at once and finish each job on the next turn of the event loop. The figure is this
// process's CPU (user + sys) from submitRun until the run completed, per job — what the issue's
// "≤ 5 ms per job, flat from 10 to 1,000" is about, free of agent start-up noise. Baseline, same run:
// the stand-ins alone driven by a plain concurrency-8 pool. Checks every job succeeded and the run
// concluded success. Prints one JSON line.     npm run bench -- orchestrate [SIZES] [CONCURRENCY]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLAN_VERSION } from '@helios-ci/sdk';
import { Orchestrator } from '../core/dist/src/orchestrator/orchestrator.js';
import { InProcessQueue } from '../core/dist/src/queue/inProcessQueue.js';
import { Store } from '../core/dist/src/store/index.js';
import { createEventBus } from '../core/dist/src/kernel/eventBus.js';
import { Redactor } from '../core/dist/src/kernel/redactor.js';

const SIZES = String(process.argv[2] ?? '10,100,1000').split(',').map(Number);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function jobPlan(i) {
  return {
    id: `.github/workflows/bench.yml#one#${i}`, workflow: { file: '.github/workflows/bench.yml', name: 'bench' }, jobKey: 'one', name: `one (${i})`, matrix: { i }, needs: [], if: null,
    runsOn: ['local'], env: {}, defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 360, continueOnError: false, concurrency: null,
    strategy: { failFast: false, maxParallel: null }, outputs: {}, secretNames: [],
    steps: [{ id: 's', name: 'Run true', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'true', shell: null, workingDirectory: null }],
  };
}

/** Provisions at once; the machine is a name. */
const runtime = {
  id: 'stand-in', labels: ['local'],
  machineSize: () => ({ cpus: 1, memoryMb: 512 }),
  provision: async (spec) => ({ id: `m-${spec.jobId}`, jobId: spec.jobId, label: spec.label }),
  destroy: async () => {},
  list: async () => [],
};

/** Registers a job and succeeds it on the next turn, as an agent reporting at once would. */
const agents = {
  endpoint: '127.0.0.1:1',
  registerJob(spec) {
    return { jobId: spec.jobId, token: 'tok', done: new Promise((r) => setImmediate(() => r('success'))), cancel() {} };
  },
};

async function helios(n) {
  const dir = mkdtempSync(join(tmpdir(), 'helios-bench-orchestrate-'));
  const store = Store.open(join(dir, 'helios.db'));
  const queue = new InProcessQueue(store);
  const orchestrator = new Orchestrator({
    store, queue, runtimes: [runtime], forges: [], secrets: null, agents, reporter: null, redactor: new Redactor(),
    events: createEventBus(silent), logger: silent, concurrentJobs: CONCURRENCY, publicUrl: 'http://bench',
  });
  try {
    await orchestrator.start();
    const plan = { version: PLAN_VERSION, event: { name: 'push', ref: 'refs/heads/main', sha: 'abc' }, workflows: [{ file: '.github/workflows/bench.yml', name: 'bench' }], jobs: Array.from({ length: n }, (_, i) => jobPlan(i + 1)), problems: [] };
    const cpu = cpuMs();
    const t = process.hrtime.bigint();
    const run = orchestrator.submitRun({ plan, repo: { owner: 'bench', name: 'repo', id: 'file:///nonexistent/bench' }, sha: 'abc', ref: 'refs/heads/main', forge: null, trusted: true });
    const done = await orchestrator.waitForRun(run.id);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const used = cpuMs() - cpu;
    const states = store.jobs.listByRun(run.id).map((j) => j.state);
    if (done.conclusion !== 'success' || states.length !== n || states.some((s) => s !== 'succeeded')) throw new Error(`run ${done.conclusion}: ${states.filter((s) => s !== 'succeeded').length} of ${n} jobs did not succeed`);
    return { jobs: n, cpuMsPerJob: +(used / n).toFixed(3), jobsPerSecond: Math.round(n / seconds) };
  } finally {
    await orchestrator.stop(0);
    await queue.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bare(n) {
  const cpu = cpuMs();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const handle = agents.registerJob({ jobId: `j${i}` });
      const m = await runtime.provision({ jobId: `j${i}`, label: 'local' });
      if ((await handle.done) !== 'success') throw new Error('stand-in failed');
      await runtime.destroy(m);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return +((cpuMs() - cpu) / n).toFixed(3);
}

const sizes = [];
for (const n of SIZES) {
  const h = await helios(n);
  sizes.push({ ...h, bareCpuMsPerJob: await bare(n) });
  process.stderr.write(`orchestrate: ${n} jobs: ${h.cpuMsPerJob} ms CPU/job, ${h.jobsPerSecond} jobs/s\n`);
}
process.stdout.write(
  JSON.stringify({
    bench: 'orchestrate',
    concurrency: CONCURRENCY,
    what: 'real Orchestrator + store + queue; stand-in runtime and agents that finish at once; CPU of this process per job',
    baseline: 'the stand-ins alone through a plain pool of the same concurrency',
    sizes,
    cpuMsPerJob: Object.fromEntries(sizes.map((s) => [s.jobs, s.cpuMsPerJob])),
    slope: sizes.length > 1 ? +(sizes.at(-1).cpuMsPerJob / sizes[0].cpuMsPerJob).toFixed(2) : null,
  }) + '\n',
);
