// `npm run bench -- webhook`: 1,000 signed GitHub push deliveries in a burst (10 in flight at once; BENCH_IN_FLIGHT)
// against a real `helios serve` with @helios-ci/forge-github (pointed at the GitHub stand-in), plus
// 100 replays of already-sent delivery ids. Measures time to 202 (p50/p99), and counts inbox rows
// (= jobs the kernel will plan: one per distinct delivery) against distinct deliveries. The workflow's
// trigger does not match the pushed branch, so planning reads the workflows but starts no job.
// Baseline, same run: a bare node:http server doing the same HMAC-SHA256 check and answering 202.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const t = join(root, 'plugins/forge-github/dist/test');
const { createWorld, INSTALLATION, OWNER } = await import(join(t, 'helpers/world.js'));
const { Deployment, startServe, waitFor } = await import(join(t, 'helpers/serve.js'));
const { loadFixture, retarget, signedDelivery, TEST_WEBHOOK_SECRET } = await import(join(t, 'helpers/fixtures.js'));

const N = Number(process.env.BENCH_DELIVERIES ?? 1000);
const REPLAYS = 100;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 10);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function burst(url, deliveries) {
  const times = [];
  const statuses = {};
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < deliveries.length) {
      const d = deliveries[next++];
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.rawBody });
      await res.arrayBuffer();
      times.push(performance.now() - started);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  }));
  return { p50: +pct(times, 50).toFixed(2), p99: +pct(times, 99).toFixed(2), statuses };
}

const world = await createWorld({ files: { '.github/workflows/ci.yml': 'on:\n  push:\n    branches: [release]\njobs:\n  x:\n    runs-on: local\n    steps:\n      - run: "true"\n' } });
const d = new Deployment(world.standIn, TEST_WEBHOOK_SECRET);
const serve = startServe(d);
// The baseline runs in its own process, like helios serve, so neither shares the client's event loop.
const BASELINE_SRC = `
const { createHmac, timingSafeEqual } = require('node:crypto');
const secret = process.env.SECRET;
const server = require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const expected = Buffer.from('sha256=' + createHmac('sha256', secret).update(body).digest('hex'));
    const given = Buffer.from(String(req.headers['x-hub-signature-256'] ?? ''));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    JSON.parse(body.toString('utf8'));
    res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json' });
    res.end('{"status":"accepted"}');
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
const baseline = spawn(process.execPath, ['-e', BASELINE_SRC], { env: { SECRET: TEST_WEBHOOK_SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
const baselinePort = new Promise((r) => baseline.stdout.once('data', (c) => r(Number(String(c).trim()))));
try {
  const url = await serve.url;
  const baseUrl = `http://127.0.0.1:${await baselinePort}/hooks/github`;
  const template = retarget(loadFixture('push'), { owner: OWNER, name: 'widget', repoId: world.ghRepo.id, installationId: INSTALLATION, appId: world.standIn.appId });
  const make = () => Array.from({ length: N }, (_, i) => signedDelivery('push', { ...template, ref: 'refs/heads/main', after: world.sha, before: '0'.repeat(40), head_commit: { ...template.head_commit, id: world.sha, message: `bench ${i}` } }, { deliveryId: randomUUID() }));
  // Warm both up (JIT, connections) with deliveries that are not counted.
  await burst(baseUrl, make().slice(0, 50));
  const warm = make().slice(0, 50);
  await burst(`${url}/hooks/github`, warm);
  const inboxBefore = d.query('SELECT count(*) AS n FROM inbox')[0].n;

  const base = await burst(baseUrl, make());
  const deliveries = make();
  const helios = await burst(`${url}/hooks/github`, deliveries);
  const replays = await burst(`${url}/hooks/github`, deliveries.slice(0, REPLAYS));
  const inbox = d.query('SELECT count(*) AS n FROM inbox')[0].n - inboxBefore;
  await waitFor('every delivery to be planned', () => d.query("SELECT count(*) AS n FROM inbox WHERE status = 'received'")[0].n === 0 || undefined, 300_000);
  const planned = d.query("SELECT status, count(*) AS n FROM inbox GROUP BY status");
  const runs = d.query('SELECT count(*) AS n FROM runs')[0].n;
  console.log(JSON.stringify({
    bench: 'webhook',
    deliveries: N,
    inFlight: IN_FLIGHT,
    helios: { p50Ms: helios.p50, p99Ms: helios.p99, statuses: helios.statuses },
    baseline: { p50Ms: base.p50, p99Ms: base.p99 },
    p99Ratio: +(helios.p99 / base.p99).toFixed(2),
    budgetP99Ms: 50,
    withinBudget: helios.p99 < 50,
    replays: { sent: REPLAYS, statuses: replays.statuses },
    inboxRowsCreated: inbox,
    distinctDeliveries: N,
    lostOrDuplicated: inbox - N,
    inboxByStatus: Object.fromEntries(planned.map((r) => [r.status, r.n])),
    runsStarted: runs,
  }));
} finally {
  await serve.stop();
  baseline.kill();
  d.cleanup();
  await world.cleanup();
}
