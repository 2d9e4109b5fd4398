// `npm run bench -- queue [--jobs 500]`: dispatch through NATS JetStream (queue-nats: control's
// dispatcher → stream → a worker's pull → claim → Runtime.provision) vs the in-process queue (store →
// consume → Runtime.provision), with no-op machines, on a real nats-server on loopback.
//   dispatchMs — job ready at control → provision called on the worker: p50 / p95, per path, and
//                addedMsP50 = NATS p50 − in-process p50 (the budget: < 10 ms per job);
//   jobsPerSec — N jobs end to end (provision, destroy, ack) with 16 slots, per path.
// Prints one JSON line. Needs nats-server (apt-get install nats-server).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InProcessQueue, Store } from '../core/dist/src/index.js';
import { connectNats, NatsQueue, NatsDispatcher, NatsWorker, Subjects } from '../plugins/queue-nats/dist/src/index.js';

const jobsArg = process.argv.indexOf('--jobs');
const JOBS = jobsArg > 0 ? Number(process.argv[jobsArg + 1]) : 500;
const SLOTS = 16;
const log = (m) => process.stderr.write(`${m}\n`);
const quiet = { debug() {}, info() {}, warn() {}, error: (m, f) => log(`error: ${m} ${JSON.stringify(f ?? {})}`), child() { return quiet; } };

const natsBin = ['/usr/sbin', '/usr/bin', '/usr/local/bin'].map((d) => join(d, 'nats-server')).find(existsSync);
if (!natsBin) {
  console.error('queue bench: nats-server missing: apt-get install nats-server');
  process.exit(2);
}

const freePort = () => new Promise((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const answers = (port) => new Promise((resolve) => { const s = tcpConnect(port, '127.0.0.1'); s.once('data', () => { s.destroy(); resolve(true); }); s.once('error', () => resolve(false)); });
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(2); };

/** A runtime whose machines cost nothing: it records when provision was called for each job. */
function noopRuntime(calledAt) {
  return {
    id: 'noop', labels: ['bench'],
    machineSize: () => ({ cpus: 1, memoryMb: 64 }),
    async provision(spec) { calledAt.set(spec.jobId, performance.now()); return { id: `m-${spec.jobId}`, jobId: spec.jobId, label: spec.label }; },
    async destroy() {},
    async list() { return []; },
  };
}

/** Runs `JOBS` jobs through `dispatchOne` with SLOTS at once; latencies from `readyAt` to provision. */
async function drive(dispatchOne, calledAt) {
  const readyAt = new Map();
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: SLOTS }, async () => {
    while (next < JOBS) {
      const id = `job-${next++}`;
      readyAt.set(id, performance.now());
      await dispatchOne(id);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const lat = [...readyAt].map(([id, t]) => calledAt.get(id) - t);
  return { p50: pct(lat, 50), p95: pct(lat, 95), jobsPerSec: +(JOBS / seconds).toFixed(1) };
}

async function inProcess() {
  const calledAt = new Map();
  const runtime = noopRuntime(calledAt);
  const store = Store.open({ path: ':memory:' });
  const queue = new InProcessQueue(store);
  const waiting = new Map();
  // What the orchestrator does on a delivery: provision, (the job runs), destroy, ack.
  const sub = await queue.consume(SLOTS, async (d) => {
    const m = await runtime.provision({ jobId: d.message.jobId, label: 'bench', cpus: 1, memoryMb: 64, volumes: [], agent: { endpoint: 'x:1', token: 't' } });
    await runtime.destroy(m);
    await d.ack();
    waiting.get(d.message.jobId)?.();
  });
  const r = await drive((id) => new Promise((resolve) => { waiting.set(id, resolve); void queue.publish({ jobId: id, labels: ['bench'] }); }), calledAt);
  await sub.close();
  await queue.close();
  store.close();
  return r;
}

async function viaNats(url) {
  const calledAt = new Map();
  const subjects = new Subjects('bench');
  const settings = { stream: 'BENCH', subjects, ackWaitMs: 30_000, maxDeliver: -1, maxAckPending: 1000, duplicateWindowMs: 120_000, baseBackoffMs: 1000, maxBackoffMs: 60_000, consumeLabels: null, pullExpiresMs: 1000 };
  const controlNc = await connectNats({ servers: [url] });
  const controlQueue = new NatsQueue(controlNc, settings);
  await controlQueue.ensureStream();
  const dispatcher = new NatsDispatcher(subjects, { id: 'bench', labels: ['bench'], machineSizes: {}, retryLostHost: 0, queueTimeoutMs: 60_000, destroyTimeoutMs: 30_000 }, quiet);
  dispatcher.attach(controlQueue, controlNc);
  const workerNc = await connectNats({ servers: [url] });
  const workerQueue = new NatsQueue(workerNc, { ...settings, consumeLabels: ['bench'] }, quiet);
  const worker = new NatsWorker(workerQueue, workerNc, subjects, { workerId: 'bench-worker', runtimes: [noopRuntime(calledAt)], capacity: SLOTS, logger: quiet }, { claimTimeoutMs: 5000, statusIntervalMs: 60_000 });
  await worker.start();
  // What the orchestrator does with a remote runtime: provision (published, claimed, made), destroy.
  const r = await drive(async (id) => {
    const m = await dispatcher.provision({ jobId: id, label: 'bench', cpus: 1, memoryMb: 64, volumes: [], agent: { endpoint: 'x:1', token: 't' } });
    await dispatcher.destroy(m);
  }, calledAt);
  await worker.stop();
  await dispatcher.close();
  await workerQueue.close();
  await controlQueue.close();
  return r;
}

const dir = mkdtempSync(join(tmpdir(), 'helios-bench-nats-'));
const port = await freePort();
let out = '';
const server = spawn(natsBin, ['-js', '-sd', dir, '-p', String(port), '-a', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
server.stdout.on('data', (c) => (out += c));
server.stderr.on('data', (c) => (out += c));
try {
  const until = Date.now() + 15_000;
  while (!/Server is ready/.test(out) || !(await answers(port))) {
    if (Date.now() > until || server.exitCode !== null) throw new Error(`nats-server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  log(`queue bench: ${JOBS} no-op jobs, ${SLOTS} at once; in-process first (baseline)`);
  const baseline = await inProcess();
  log(`queue bench: in-process ${JSON.stringify(baseline)}; now through NATS`);
  const nats = await viaNats(`nats://127.0.0.1:${port}`);
  console.log(JSON.stringify({
    bench: 'queue',
    jobs: JOBS,
    slots: SLOTS,
    dispatchMs: { inProcess: { p50: baseline.p50, p95: baseline.p95 }, nats: { p50: nats.p50, p95: nats.p95 }, addedMsP50: +(nats.p50 - baseline.p50).toFixed(2) },
    jobsPerSec: { inProcess: baseline.jobsPerSec, nats: nats.jobsPerSec, ratio: +(nats.jobsPerSec / baseline.jobsPerSec).toFixed(3) },
    budget: 'NATS adds < 10 ms per job dispatch (p50)',
  }));
} finally {
  process.kill(server.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
