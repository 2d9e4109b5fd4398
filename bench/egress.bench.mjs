// `npm run bench -- egress`: what the egress proxy costs a job. A loopback origin (its own process)
// serves 200 MB (BENCH_EGRESS_MB); curl downloads it directly (the baseline, same run), through the
// proxy by plain forwarding and through a CONNECT tunnel (curl -p), in 5 interleaved rounds
// (BENCH_EGRESS_ROUNDS): the ratios are each round's against its own direct download, median reported. Then 200
// (BENCH_EGRESS_CONNS) fresh connections each fetch a tiny body, direct and through the proxy: the
// added latency per connection (median, p99). The proxy is core's EgressService with a real job grant,
// in its own process as under `helios serve`. Issue 15's target: throughput ratio >= 0.8.
// proxyCpuMsPer100MB: the proxy process's CPU (user + system) per 100 MB moved, which other load on a
// shared machine moves far less than the speeds. BENCH_EGRESS_CPU_PROF=<dir> writes the proxy process's V8 CPU profile there (node --cpu-prof).
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const MB = Number(process.env.BENCH_EGRESS_MB ?? 200);
const CONNS = Number(process.env.BENCH_EGRESS_CONNS ?? 200);
const ROUNDS = Number(process.env.BENCH_EGRESS_ROUNDS ?? 5);

/**
 * Starts `source` (an ES module) in its own node process; resolves with its first stdout line, parsed.
 * `next()` waits for the following line (the proxy prints its CPU time on SIGUSR2).
 */
function child(source, flags = []) {
  const p = spawn(process.execPath, [...flags, '--input-type=module', '-e', `process.on('SIGTERM', () => process.exit(0));\n${source}`], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
      const line = JSON.parse(out.slice(0, nl));
      out = out.slice(nl + 1);
      if (waiting.length) waiting.shift()(line);
      else lines.push(line);
    }
  });
  const next = () => (lines.length ? Promise.resolve(lines.shift()) : new Promise((r) => waiting.push(r)));
  return new Promise((resolve, reject) => {
    next().then((info) => resolve({ info, next, signal: (s) => p.kill(s), kill: () => p.kill('SIGTERM') }));
    p.once('exit', (code) => reject(new Error(`bench child exited ${code}`)));
  });
}

const origin = await child(`
import http from 'node:http';
const size = ${MB} * 1024 * 1024;
const chunk = Buffer.alloc(1024 * 1024, 97);
const server = http.createServer((req, res) => {
  if (req.url === '/big') {
    res.writeHead(200, { 'content-length': size });
    let sent = 0;
    const pump = () => { while (sent < size) { sent += chunk.length; if (!res.write(chunk)) return res.once('drain', pump); } res.end(); };
    pump();
  } else res.end('ok');
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`);
const proxy = await child(`
import { EgressService } from './core/dist/src/egress/egressService.js';
import { compile } from './core/dist/src/egress/egressPolicy.js';
const s = new EgressService({ host: '127.0.0.1', port: 0 });
await s.start();
let n = 0;
const g = s.grant({ jobId: 'bench', policy: compile({ allow: ['127.0.0.1:*'] }, 'egress.default', 'bench/bench'), implicit: [], report: () => n++ });
process.on('SIGUSR2', () => { const u = process.cpuUsage(); console.log(JSON.stringify({ cpuMs: (u.user + u.system) / 1000 })); });
console.log(JSON.stringify({ endpoint: s.endpoint, credential: g.credential }));
`, process.env.BENCH_EGRESS_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_EGRESS_CPU_PROF] : []);

const url = `http://127.0.0.1:${origin.info.port}`;

/**
 * The floor any relay process pays on this machine (same run): socat (C, 1 MiB buffer, no HTTP)
 * between curl and the origin. On a 2-core host a third process moving every byte twice through the
 * kernel cannot keep the direct pace; this says how close a proxy can come here at all.
 * Debian: apt-get install socat. Without it the floor is reported as null with the reason.
 */
function startFloorRelay() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const p = spawn('socat', ['-b', '1048576', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `TCP:127.0.0.1:${origin.info.port}`], { stdio: 'ignore' });
  return new Promise((resolve) => {
    p.once('error', () => resolve(null));
    const probe = () => {
      const c = http.get(`http://127.0.0.1:${port}/small`, (res) => (res.resume(), resolve({ url: `http://127.0.0.1:${port}`, kill: () => p.kill() })));
      c.on('error', () => (p.exitCode === null ? setTimeout(probe, 50) : resolve(null)));
    };
    setTimeout(probe, 50);
  });
}
const floor = await startFloorRelay();
const [user, secret] = proxy.info.credential.split(':');
const proxyUrl = `http://${user}:${encodeURIComponent(secret)}@${proxy.info.endpoint}`;

function curlSpeed(args) {
  return new Promise((resolve, reject) => {
    const c = spawn('curl', ['-sS', '--noproxy', '', '-o', '/dev/null', '-w', '%{speed_download} %{size_download}', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => {
      const [speed, size] = out.trim().split(' ').map(Number);
      if (code !== 0 || size !== MB * 1024 * 1024) reject(new Error(`curl ${args.join(' ')}: exit ${code}, ${size} bytes`));
      else resolve(speed);
    });
  });
}

/** The proxy process's CPU time so far (user + system, ms). */
async function proxyCpu() {
  proxy.signal('SIGUSR2');
  return (await proxy.next()).cpuMs;
}

/**
 * ROUNDS rounds of direct, forwarded and tunnelled downloads, interleaved so that each round's three
 * see the same load on a shared machine; a ratio is taken within each round, and the medians reported.
 * The proxy's CPU is summed over all forwarded (and all tunnelled) downloads: CPU ms per 100 MB.
 */
async function rounds() {
  const runs = { direct: [], floor: [], forward: [], connect: [] };
  const cpu = { forward: 0, connect: 0 };
  const args = { direct: [`${url}/big`], floor: floor ? [`${floor.url}/big`] : null, forward: ['-x', proxyUrl, `${url}/big`], connect: ['-x', proxyUrl, '-p', `${url}/big`] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const kind of ['direct', 'floor', 'forward', 'connect']) {
      if (!args[kind]) continue;
      const proxied = kind === 'forward' || kind === 'connect';
      const before = proxied ? await proxyCpu() : 0;
      runs[kind].push(await curlSpeed(args[kind]));
      if (proxied) cpu[kind] += (await proxyCpu()) - before;
    }
  }
  return { runs, cpuMsPer100MB: { forward: +(cpu.forward / ((ROUNDS * MB) / 100)).toFixed(1), connect: +(cpu.connect / ((ROUNDS * MB) / 100)).toFixed(1) } };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function once(viaProxy) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const [host, port] = proxy.info.endpoint.split(':');
    const req = viaProxy
      ? http.request({ host, port: Number(port), path: `${url}/small`, agent: false, headers: { host: `127.0.0.1:${origin.info.port}`, 'proxy-authorization': `Basic ${Buffer.from(proxy.info.credential).toString('base64')}` } })
      : http.request(`${url}/small`, { agent: false });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
    });
    req.on('error', reject);
    req.end();
  });
}

const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

try {
  console.error(`egress bench: ${ROUNDS} rounds of ${MB} MB direct, forwarded and tunnelled, interleaved`);
  const { runs, cpuMsPer100MB } = await rounds();
  const ratios = (kind) => runs[kind].map((speed, i) => speed / runs.direct[i]);
  console.error(`egress bench: ${CONNS} fresh connections direct and through the proxy`);
  const d = [];
  const p = [];
  for (let i = 0; i < CONNS; i++) {
    d.push(await once(false));
    p.push(await once(true));
  }
  const mbps = (x) => +(x / 1e6).toFixed(1);
  console.log(
    JSON.stringify({
      bench: 'egress',
      downloadMB: MB,
      rounds: ROUNDS,
      directMBps: mbps(median(runs.direct)),
      forwardMBps: mbps(median(runs.forward)),
      connectMBps: mbps(median(runs.connect)),
      forwardRatio: +median(ratios('forward')).toFixed(2),
      connectRatio: +median(ratios('connect')).toFixed(2),
      forwardRatioPerRound: ratios('forward').map((r) => +r.toFixed(2)),
      // The same ratio for a bare C relay (socat): what any proxy process can reach on this host.
      floorRelayRatio: floor ? +median(ratios('floor')).toFixed(2) : null,
      ...(floor ? { forwardVsFloor: +(median(ratios('forward')) / median(ratios('floor'))).toFixed(2) } : { floorMissing: 'socat not found (apt-get install socat)' }),
      target: 0.8,
      proxyCpuMsPer100MB: cpuMsPer100MB,
      connections: CONNS,
      directConnMs: { p50: +pct(d, 50).toFixed(2), p99: +pct(d, 99).toFixed(2) },
      proxyConnMs: { p50: +pct(p, 50).toFixed(2), p99: +pct(p, 99).toFixed(2) },
      addedMsPerConnection: +(pct(p, 50) - pct(d, 50)).toFixed(2),
    }),
  );
} finally {
  origin.kill();
  proxy.kill();
  floor?.kill();
}
