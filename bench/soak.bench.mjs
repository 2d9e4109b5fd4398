// soak: a real `helios serve` (local runtime) running JOBS concurrent jobs (default 50), each printing
// RATE numbered 100-byte lines per second (default 1,000) for SECONDS (default 60; shorter to try it
// quickly: `npm run bench -- soak 10`). While they run: the server's RSS (from /proc, every 250 ms)
// and the event-loop lag as seen from outside — the latency of GET /healthz every 20 ms (an upper
// bound: it includes HTTP and the probe's own scheduling), and the server's own view of it, its
// helios_event_loop_lag_seconds histogram (/metrics) over the run. Baseline, same run: the same probe on the idle server before the run.
// After the run the server is stopped and its store read back: every job succeeded, and every one of
// its SECONDS × RATE lines is there, in order, intact. Prints one JSON line; progress on stderr.
//   npm run bench -- soak [SECONDS] [JOBS] [RATE]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { get } from 'node:http';
import { Store } from '@helios-ci/core';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../core/dist/src/cli/bin.js');
const SECONDS = Number(process.argv[2] ?? 60);
const JOBS = Number(process.argv[3] ?? 50);
const RATE = Number(process.argv[4] ?? 1000);
if (![SECONDS, JOBS, RATE].every((n) => Number.isInteger(n) && n > 0)) {
  console.error('usage: npm run bench -- soak [SECONDS] [JOBS] [RATE]');
  process.exit(2);
}
const progress = (m) => process.stderr.write(`soak: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// 'soak-' + 9-digit number + '-' + filler = 99 characters + "\n" = 100 bytes.
const FILLER = '-'.padEnd(85, 'abcdefghijklmnopqrstuvwxyz0123456789');
const lineOf = (n) => `soak-${String(n).padStart(9, '0')}${FILLER}`;
// Each second: that second's RATE lines in one burst (seq), then sleep out the rest of the second.
const STEP = `for s in $(seq 1 ${SECONDS}); do t=$(date +%s%N); seq -f 'soak-%09.0f${FILLER}' $(( (s - 1) * ${RATE} + 1 )) $(( s * ${RATE} )); d=$(( 1000000000 - ($(date +%s%N) - t) )); [ $d -gt 0 ] && sleep 0.$(printf '%09d' $d); done; true`;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};

function makeRepo(dir) {
  const git = (args) => {
    const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
  };
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  const values = Array.from({ length: JOBS }, (_, i) => i + 1).join(', ');
  writeFileSync(
    join(dir, '.github/workflows/soak.yml'),
    `on: push\njobs:\n  soak:\n    runs-on: local\n    strategy:\n      fail-fast: false\n      matrix:\n        i: [${values}]\n    steps:\n      - name: print\n        run: ${JSON.stringify(STEP)}\n`,
  );
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'soak']);
}

function startServe(root) {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the server's node, for profiling.
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--listen', '127.0.0.1:0', '--config', join(root, 'helios.yaml')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: root },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 60_000);
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

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** One GET on a fresh connection (no keep-alive: a connection the server closed cannot fail the probe). */
const getOnce = (url) =>
  new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    });
    req.once('error', reject);
  });

/** GET /healthz every 20 ms until stopped; latencies in ms. */
function probe(url) {
  const latencies = [];
  /** When each probe started (ms since the probe began), to say when the worst ones happened. */
  const at = [];
  const began = Date.now();
  const errors = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const t = process.hrtime.bigint();
      const sent = Date.now() - began;
      try {
        await getOnce(`${url}/healthz`);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        at.push(sent);
      } catch (err) {
        errors.push(err.message);
      }
      await sleep(20);
    }
  })();
  const worst = (n) =>
    latencies
      .map((ms, i) => ({ ms, at: at[i] }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n)
      .map((w) => `${w.ms.toFixed(0)} ms at ${(w.at / 1000).toFixed(1)} s`)
      .join(', ');
  return { latencies, errors, worst, stop: async () => ((stop = true), await done) };
}

/** helios_event_loop_lag_seconds buckets from /metrics: upper bound (s) → cumulative count. */
async function lagBuckets(url, name = 'helios_event_loop_lag_seconds') {
  const text = await (await fetch(`${url}/metrics`, { headers: { connection: 'close' } })).text();
  const cpu = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  const buckets = new Map();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))) buckets.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  if (buckets.size === 0 || !cpu) throw new Error(`no ${name} or process_cpu_seconds_total in /metrics`);
  buckets.cpuSeconds = Number(cpu[1]);
  return buckets;
}

/** p99 of the server's own lag between two bucket snapshots: the bucket bound that holds 99% (ms). */
function lagP99Ms(before, after) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const count = after.get(Infinity) - (before.get(Infinity) ?? 0);
  for (const le of bounds) if (after.get(le) - (before.get(le) ?? 0) >= 0.99 * count) return { p99Ms: le * 1000, samples: count, over50Ms: count - (after.get(0.05) - (before.get(0.05) ?? 0)) };
  return { p99Ms: Infinity, samples: count, over50Ms: NaN };
}

const root = mkdtempSync(join(tmpdir(), 'helios-bench-soak-'));
let serve = null;
try {
  makeRepo(join(root, 'repo'));
  writeFileSync(
    join(root, 'helios.yaml'),
    `server:\n  dataDir: ./data\nlimits:\n  concurrentJobs: ${JOBS}\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config:\n      workRoot: ./work\n`,
  );
  serve = startServe(root);
  const url = await serve.url;
  const pid = serve.child.pid;
  const token = readFileSync(join(root, 'data/admin-token'), 'utf8').trim();

  const idle = probe(url);
  await sleep(3000);
  await idle.stop();
  const rssIdle = rssMb(pid);
  progress(`idle server: RSS ${rssIdle.toFixed(0)} MB, /healthz p99 ${percentile(idle.latencies, 99).toFixed(1)} ms; starting ${JOBS} jobs × ${RATE} lines/s × ${SECONDS} s`);

  const lagBefore = await lagBuckets(url);
  const ownBefore = await lagBuckets(url, 'helios_event_loop_lag_own_seconds');
  const busy = probe(url);
  const rss = [];
  const sampler = setInterval(() => rss.push(rssMb(pid)), 250);
  const started = Date.now();
  const res = await fetch(`${url}/api/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ repository: join(root, 'repo'), ref: 'main' }),
  });
  const run = await res.json();
  if (res.status !== 201) throw new Error(`POST /api/runs: ${res.status} ${JSON.stringify(run)}`);
  let summary;
  for (let last = 0; ; ) {
    await sleep(1000);
    try {
      summary = (await (await fetch(`${url}/api/runs?limit=1`, { headers: { connection: 'close' } })).json()).runs[0];
    } catch (err) {
      // A poll refused by a busy server is retried; the probe above counts such failures for /healthz.
      progress(`poll failed (${err.cause?.code ?? err.message}); retrying`);
      continue;
    }
    if (summary.state === 'completed') break;
    if (Date.now() - last > 10_000) {
      last = Date.now();
      progress(`${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(summary.jobs)}, RSS ${rss.at(-1)?.toFixed(0)} MB`);
    }
    if (Date.now() - started > (SECONDS * 5 + 300) * 1000) throw new Error(`the run did not finish in ${SECONDS * 5 + 300} s: ${JSON.stringify(summary.jobs)}`);
  }
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  await busy.stop();
  const lagAfter = await lagBuckets(url);
  const loop = lagP99Ms(lagBefore, lagAfter);
  const own = lagP99Ms(ownBefore, await lagBuckets(url, 'helios_event_loop_lag_own_seconds'));
  const serverCpuSeconds = lagAfter.cpuSeconds - lagBefore.cpuSeconds;
  if ((summary.jobs.succeeded ?? 0) !== JOBS) throw new Error(`only ${summary.jobs.succeeded ?? 0} of ${JOBS} jobs succeeded: ${JSON.stringify(summary.jobs)}`);

  const exited = new Promise((r) => serve.child.once('exit', r));
  process.kill(pid, 'SIGTERM');
  await exited;

  // Every line of every job, in order, from the store (live rows or compacted chunks alike).
  const store = Store.open(join(root, 'data/helios.db'));
  let lost = 0;
  let disordered = 0;
  try {
    for (const job of store.jobs.listByRun(run.id)) {
      let expected = 1;
      for (let from = 1; ; ) {
        const page = store.logReader.read(job.id, { from, limit: 10_000 });
        if (page.length === 0) break;
        for (const l of page) {
          if (!l.text.startsWith('soak-')) continue;
          if (l.text !== lineOf(expected)) disordered++;
          expected++;
        }
        from = page.at(-1).seq + 1;
      }
      lost += SECONDS * RATE - (expected - 1);
    }
  } finally {
    store.close();
  }
  const p99 = percentile(busy.latencies, 99);
  progress(`worst /healthz latencies (time since the run was posted): ${busy.worst(8)}`);
  const rssMax = Math.max(...rss);
  const out = {
    bench: 'soak',
    jobs: JOBS,
    linesPerSecondPerJob: RATE,
    seconds: SECONDS,
    runSeconds: +seconds.toFixed(1),
    linesExpected: JOBS * SECONDS * RATE,
    linesLost: lost,
    linesOutOfOrderOrDamaged: disordered,
    serverRssMbMax: Math.round(rssMax),
    serverRssMbIdle: Math.round(rssIdle),
    healthzLagMsP99: +p99.toFixed(1),
    healthzLagMsMax: +Math.max(...busy.latencies).toFixed(1),
    healthzErrors: busy.errors.length,
    serverLoopLagMsP99: loop.p99Ms,
    serverLoopLagSamples: loop.samples,
    serverLoopLagOver50Ms: loop.over50Ms,
    // The part of that lag the server spent on CPU itself (the rest: waiting for a CPU on this host).
    serverLoopLagOwnMsP99: own.p99Ms,
    serverLoopLagOwnOver50Ms: own.over50Ms,
    serverCpuSeconds: +serverCpuSeconds.toFixed(1),
    baseline: { what: 'the same /healthz probe on the idle server, before the run', healthzLagMsP99: +percentile(idle.latencies, 99).toFixed(1) },
    targets: { serverRssMb: 300, healthzLagMsP99: 50, serverLoopLagMsP99: 50, linesLost: 0 },
    withinTargets: rssMax < 300 && p99 < 50 && loop.p99Ms <= 50 && lost === 0 && disordered === 0 && busy.errors.length === 0,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  if (lost || disordered) process.exitCode = 1;
} finally {
  if (serve && serve.child.exitCode === null) {
    const exited = new Promise((r) => serve.child.once('exit', r));
    process.kill(serve.child.pid, 'SIGTERM');
    await exited;
  }
  rmSync(root, { recursive: true, force: true });
}
