// hook-soak: the adversarial probe's two hardest cases against a real `helios serve`, bounded:
//  1. 60 stalled webhook connections (each declaring a 25 MB body and sending 4 MB of it) while the
//     server serves: its RSS before, during and after (the stalled bodies are dropped after
//     limits.hookBodyTimeoutSeconds), and how many of them got 503 (the in-flight byte budget).
//  2. 4 SSE readers of a 2,000,000-line job log while /healthz is polled every 20 ms: the health
//     check's p50/p99/max latency, against the same poll with no readers (the same-run baseline).
// Prints one JSON line; progress on stderr.   npm run bench -- hook-soak [LINES] [STALLED]
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '@helios-ci/core';
import { PLAN_VERSION } from '@helios-ci/sdk';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../core/dist/src/cli/bin.js');
const LINES = Number(process.argv[2] ?? 2_000_000);
const STALLED = Number(process.argv[3] ?? 60);
const READERS = 4;
const progress = (m) => process.stderr.write(`hook-soak: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function seed(dataDir) {
  const step = { id: 's', name: 'S', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'true', shell: null, workingDirectory: null };
  const job = {
    id: '.github/workflows/ci.yml#build', workflow: { file: '.github/workflows/ci.yml', name: 'CI' }, jobKey: 'build', name: 'build', matrix: null, needs: [], if: null,
    runsOn: ['local'], env: {}, defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 360, continueOnError: false, concurrency: null,
    strategy: { failFast: true, maxParallel: null }, outputs: {}, secretNames: [], steps: [step],
  };
  const plan = { version: PLAN_VERSION, event: { name: 'push', ref: 'refs/heads/main', sha: 'abc123' }, workflows: [{ file: '.github/workflows/ci.yml', name: 'CI' }], jobs: [job], problems: [] };
  const store = Store.open(join(dataDir, 'helios.db'));
  try {
    const { jobs } = store.runs.create({ repo: { owner: 'acme', name: 'widget' }, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan });
    const jobId = jobs[0].id;
    store.jobs.transition(jobId, 'provisioning');
    store.jobs.transition(jobId, 'running');
    const text = 'bench log line '.padEnd(90, 'abcdefghijklmnopqrstuvwxyz');
    for (let start = 1; start <= LINES; start += 20_000) {
      const n = Math.min(20_000, LINES - start + 1);
      store.logs.append(jobId, Array.from({ length: n }, (_, i) => ({ step: 1, stream: 'stdout', ts: 0, text: `${text} ${start + i}` })));
    }
    store.jobs.transition(jobId, 'succeeded');
    return jobId;
  } finally {
    store.close();
  }
}

const rssMb = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);

function healthz(url) {
  const started = performance.now();
  return fetch(`${url}/healthz`).then(async (r) => {
    await r.text();
    return performance.now() - started;
  });
}

/** Polls /healthz every 20 ms (one at a time) until `until` resolves; latencies in ms. */
async function poll(url, until) {
  const samples = [];
  let done = false;
  until.then(() => (done = true));
  while (!done) {
    samples.push(await healthz(url));
    await sleep(20);
  }
  return samples;
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10;
  return { n: s.length, p50: at(0.5), p99: at(0.99), max: Math.round(s[s.length - 1] * 10) / 10 };
}

function stalledHook(url, declared, send) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST /hooks/fake HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(Buffer.alloc(send, 'a'));
      resolve(socket);
    });
    socket.answer = '';
    socket.on('data', (d) => (socket.answer += d));
    socket.on('error', () => undefined);
  });
}

function readLog(url, jobId) {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const req = request(`${url}/api/jobs/${jobId}/log/stream`, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve(bytes));
    });
    req.on('error', reject);
    req.end();
  });
}

const root = mkdtempSync(join(tmpdir(), 'helios-hook-soak-'));
let child;
try {
  progress(`seeding a ${LINES}-line job log`);
  const jobId = seed(join(root, 'data'));
  copyFileSync(join(here, '../core/test/fixtures/plugins/recordingForge.mjs'), join(root, 'recordingForge.mjs'));
  mkdirSync(join(root, 'node_modules/@helios-ci'), { recursive: true });
  symlinkSync(join(here, '../sdk'), join(root, 'node_modules/@helios-ci/sdk'), 'dir');
  writeFileSync(
    join(root, 'helios.yaml'),
    `server:\n  dataDir: ./data\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { workRoot: ./work }\n  fake:\n    use: ./recordingForge.mjs\n    config: { repoDir: ${JSON.stringify(root)} }\nlimits:\n  hookBodyTimeoutSeconds: 10\n  logStreamsPerClient: ${READERS}\n`,
  );
  child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--config', join(root, 'helios.yaml')], { cwd: root, env: { PATH: process.env.PATH, HOME: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', () => undefined);
  const url = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) (clearTimeout(t), resolve(m[1]));
    });
  });
  await sleep(1000);

  // 1. Stalled webhook bodies.
  const before = rssMb(child.pid);
  progress(`opening ${STALLED} stalled webhook connections`);
  const sockets = [];
  for (let i = 0; i < STALLED; i++) sockets.push(await stalledHook(url, 25 * 1024 * 1024, 4 * 1024 * 1024));
  await sleep(2000);
  const duringHealth = stats(await poll(url, sleep(2000)));
  const during = rssMb(child.pid);
  const refused = sockets.filter((s) => / 503 /.test(s.answer.split('\r\n')[0] ?? '')).length;
  progress('waiting for the stalled bodies to be dropped');
  const dropped = await Promise.race([Promise.all(sockets.map((s) => new Promise((r) => (s.destroyed ? r() : s.once('close', r))))).then(() => true), sleep(30_000).then(() => false)]);
  sockets.forEach((s) => s.destroy());
  await sleep(2000);
  const after = rssMb(child.pid);

  // 2. SSE readers of a huge log.
  progress('polling /healthz alone (baseline)');
  const baseline = stats(await poll(url, sleep(3000)));
  progress(`${READERS} SSE readers of ${LINES} lines while polling /healthz`);
  const started = performance.now();
  const readers = Promise.all(Array.from({ length: READERS }, () => readLog(url, jobId)));
  const cap = sleep(600_000).then(() => 'timeout');
  const underLoad = stats(await poll(url, Promise.race([readers, cap])));
  const bytes = await Promise.race([readers, cap]);
  const readSeconds = Math.round((performance.now() - started) / 100) / 10;

  process.stdout.write(
    JSON.stringify({
      bench: 'hook-soak',
      hooks: { stalled: STALLED, declaredMb: 25, sentMbEach: 4, refused503: refused, allDropped: dropped, rssMb: { before, during, after }, healthzWhileStalledMs: duringHealth },
      sse: { readers: READERS, lines: LINES, completed: Array.isArray(bytes), readSeconds, healthzMs: { baseline, underLoad } },
    }) + '\n',
  );
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(root, { recursive: true, force: true });
}
