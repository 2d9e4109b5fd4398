// ui: the web UI in Chromium (Debian's, driven by playwright-core; apt-get install -y chromium).
//   - time to the first log line of a finished 1,000,000-line log (the virtualised view, script on),
//     against the same page without script (the server-rendered first 1,000 lines): the baseline;
//   - JS heap after that load;
//   - live latency p50/p99: a step prints 1,000 lines/s, each carrying its print time; the page
//     records when each line is first painted (follow mode), over SSE.
// Prints one JSON line; progress on stderr.   npm run bench -- ui [LINES] [LIVE_SECONDS]
import { join } from 'node:path';
import { ServeHarness, waitFor } from '../core/dist/test/http/serveHarness.js';
import { seedUi } from '../core/dist/test/ui/seedUi.js';
import { GitRepo } from '../core/dist/test/helpers/gitRepo.js';
import { chromiumMissing, launchChromium } from '../core/dist/test/ui/browser.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const LIVE_SECONDS = Number(process.argv[3] ?? 5);
const progress = (m) => process.stderr.write(`ui: ${m}\n`);
const missing = chromiumMissing();
if (missing) {
  console.error(`bench ui: ${missing}`);
  process.exit(2);
}

const PRINTER = `name: Printer
on: workflow_dispatch
jobs:
  print:
    runs-on: local
    steps:
      - name: Print
        run: node -e "let i=0;const t=setInterval(()=>{for(let k=0;k<10;k++){console.log('tick '+(i++)+' @'+Date.now())}if(i>=${LIVE_SECONDS * 1000}){clearInterval(t)}},10)"
`;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null;
};

const serve = new ServeHarness();
const repo = new GitRepo();
let browser;
try {
  progress(`seeding a ${LINES}-line log`);
  const seeded = await seedUi(join(serve.dir, 'data'), LINES);
  repo.write('.github/workflows/printer.yml', PRINTER).commit('printer');
  await serve.start();
  browser = await launchChromium();
  const url = `${serve.url}/jobs/${seeded.bigJob}`;

  const firstLine = async (javaScriptEnabled) => {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'commit' });
    // Polled from here: with script off the page cannot run a wait function.
    for (const deadline = Date.now() + 60_000; !/seeded log line/.test((await page.locator(javaScriptEnabled ? '#log.virtual #L1 .t' : '#log #L1 .t').textContent({ timeout: 60_000 })) ?? ''); ) {
      if (Date.now() > deadline) throw new Error('the first line did not show within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = Date.now() - t0;
    const heap = javaScriptEnabled ? await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0) : 0;
    await context.close();
    return { ms, heap };
  };
  progress('first line, no script (baseline), then with the client (3 rounds each, median)');
  const base = [];
  const ui = [];
  let heap = 0;
  for (let i = 0; i < 3; i++) {
    base.push((await firstLine(false)).ms);
    const r = await firstLine(true);
    ui.push(r.ms);
    heap = r.heap;
  }

  progress(`live: a step printing 1,000 lines/s for ${LIVE_SECONDS} s`);
  const created = await serve.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main', event: 'workflow_dispatch', workflows: ['printer.yml'] } });
  if (created.status !== 201) throw new Error(`cannot start the printer: ${JSON.stringify(created.body)}`);
  const jobId = created.body.jobs[0].id;
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${serve.url}/jobs/${jobId}`);
  await page.waitForFunction(() => window.helios?.job?.view);
  await page.evaluate(() => {
    const seen = new Set();
    window.__latencies = [];
    const view = window.helios.job.view;
    view.onPaint = () => {
      const now = Date.now();
      for (const t of view.viewport.querySelectorAll('.ln .t')) {
        const m = / @(\d+)$/.exec(t.textContent);
        if (!m || seen.has(m[1] + t.textContent)) continue;
        seen.add(m[1] + t.textContent);
        window.__latencies.push(now - Number(m[1]));
      }
    };
  });
  // The same lines read by a plain SSE client in this process: the server's share of the latency.
  const sse = [];
  const abort = new AbortController();
  const reader = (async () => {
    const res = await fetch(`${serve.url}/api/jobs/${jobId}/log/stream`, { signal: abort.signal });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      const now = Date.now();
      buf += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^data: .*@(\d+)"/.exec(line);
        if (m) sse.push(now - Number(m[1]));
      }
    }
  })().catch(() => undefined);
  await waitFor('the printer to finish', async () => (await serve.api('GET', `/api/jobs/${jobId}`)).body.state === 'succeeded', 120_000);
  await page.waitForFunction((n) => window.__latencies.length >= n * 0.5, LIVE_SECONDS * 1000, { timeout: 30_000 }).catch(() => undefined);
  const lat = await page.evaluate(() => window.__latencies);
  await context.close();
  abort.abort();
  await reader;

  console.log(
    JSON.stringify({
      bench: 'ui',
      logLines: LINES,
      firstLineMs: pct(ui, 50),
      baselineNoScriptFirstLineMs: pct(base, 50),
      jsHeapMiB: Math.round((heap / 1048576) * 10) / 10,
      // linesSeen: lines painted at least once (follow mode paints the newest rows each frame; a burst
      // that arrives in one frame scrolls past unpainted). The SSE client is the baseline: same
      // lines, same server, no browser.
      live: { linesPerSecond: 1000, seconds: LIVE_SECONDS, linesSeen: lat.length, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), baselineSseClient: { lines: sse.length, p50Ms: pct(sse, 50), p99Ms: pct(sse, 99) } },
    }),
  );
} finally {
  await browser?.close();
  await serve.stop();
  repo.cleanup();
}
