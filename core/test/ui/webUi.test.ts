import { join } from 'node:path';
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import type { Browser, Page } from 'playwright-core';
import { requireComponent } from '@helios-ci/sdk/testkit';
import { GitRepo } from '../helpers/gitRepo.js';
import { ServeHarness, waitFor } from '../http/serveHarness.js';
import { PAGE_CSP } from '../../src/http/ui/layout.js';
import { chromiumMissing, launchChromium, screenshot, watchPage } from './browser.js';
import { seedUi, XSS, type Seeded } from './seedUi.js';

// One server (seeded with three repositories' runs, one with a 1,000,000-line log) and one browser
// for the file; each test opens its own page.
const BIG = 1_000_000;
const test = requireComponent(uvuTest, chromiumMissing());
const LIVE = `name: Live
on: workflow_dispatch
jobs:
  talk:
    runs-on: local
    steps:
      - name: Talk
        run: |
          for i in $(seq 1 40); do echo "tick $i"; sleep 0.1; done
`;

const ctx: { serve?: ServeHarness; browser?: Browser; seeded?: Seeded; repo?: GitRepo } = {};

test.before(async () => {
  ctx.repo = new GitRepo();
  ctx.repo.write('.github/workflows/live.yml', LIVE).commit('live');
  ctx.serve = new ServeHarness();
  ctx.seeded = await seedUi(join(ctx.serve.dir, 'data'), BIG);
  await ctx.serve.start();
  if (!chromiumMissing()) ctx.browser = await launchChromium();
});

test.after(async () => {
  try {
    await ctx.browser?.close();
    await ctx.serve?.stop();
  } finally {
    ctx.repo?.cleanup();
  }
});

async function open(path: string, headers: Record<string, string> = {}): Promise<{ page: Page; seen: ReturnType<typeof watchPage> }> {
  const context = await ctx.browser!.newContext({ viewport: { width: 1200, height: 800 }, extraHTTPHeaders: headers });
  const page = await context.newPage();
  const seen = watchPage(page);
  await page.goto(ctx.serve!.url + path);
  return { page, seen };
}
/** Waits until an element of `selector` has text matching `pattern`; says what the log view held when it gives up. */
async function waitText(page: Page, selector: string, pattern: RegExp, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(([sel, src]) => [...document.querySelectorAll(sel)].some((e) => new RegExp(src).test(e.textContent ?? '')), [selector, pattern.source] as const, { timeout });
  } catch (err) {
    const log = await page.evaluate(() => document.getElementById('log')?.outerHTML.slice(0, 1500) ?? '(no #log)').catch((e: Error) => e.message);
    const api = await ctx.serve!.api('GET', '/healthz').then((r) => r.status, (e: Error) => e.message);
    throw new Error(`${(err as Error).message}\nhealthz: ${api}\n#log: ${log}\nserve stderr: ${ctx.serve!.output().stderr.slice(-2000)}`);
  }
}
// The virtualised log may show a row before its text has arrived (range reads): wait for the text.
const rowText = async (page: Page, seq: number) => {
  await page.waitForFunction((sel) => (document.querySelector(sel)?.textContent ?? '') !== '', `#L${seq} .t`, { timeout: 15_000 });
  return page.locator(`#L${seq} .t`).textContent({ timeout: 15_000 });
};

test('runs list: newest first, filters by repository, branch, event and status', async () => {
  const { page } = await open('/');
  const repos = await page.locator('table.runs tbody tr td:nth-child(2) a').allTextContents();
  assert.equal(repos, ['acme/widget', 'acme/big', 'acme/gadget']);
  await page.selectOption('select[name=repository]', 'acme/gadget');
  await page.waitForURL(/repository=acme%2Fgadget/);
  assert.equal(await page.locator('table.runs tbody tr td:nth-child(2) a').allTextContents(), ['acme/gadget']);
  await page.goto(`${ctx.serve!.url}/?status=success`);
  assert.equal(await page.locator('table.runs tbody tr td:nth-child(2) a').allTextContents(), ['acme/big']);
  await page.goto(`${ctx.serve!.url}/?event=pull_request&branch=feature`);
  assert.equal(await page.locator('table.runs tbody tr td:nth-child(2) a').allTextContents(), ['acme/gadget']);
  await page.goto(`${ctx.serve!.url}/?branch=nope`);
  assert.match((await page.locator('main').textContent())!, /No runs match these filters/);
  await page.goto(ctx.serve!.url + '/');
  await screenshot(page, 'runs-list');
  await page.close();
});

test('XSS attempts in job, step, branch names, log lines and annotations render as text', async () => {
  const { page, seen } = await open(`/runs/${ctx.seeded!.widgetRun}`);
  const main = (await page.locator('main').textContent())!;
  assert.ok(main.includes(XSS.branch.replace(/^refs\/heads\//, '')), 'the branch is shown as text');
  assert.ok(main.includes(XSS.annotation), 'the annotation message is shown as text');
  assert.ok((await page.locator('#run-graph').textContent())!.includes('build (2)'), 'matrix jobs are grouped in the graph');
  await screenshot(page, 'run-graph');
  await page.goto(`${ctx.serve!.url}/jobs/${ctx.seeded!.widgetJob}`);
  await page.waitForSelector('#L54 .t');
  assert.is(await rowText(page, 54), XSS.line);
  assert.ok((await page.locator('h1').textContent())!.includes(XSS.job));
  assert.ok((await page.locator('table.steps').textContent())!.includes(XSS.step));
  assert.is(await page.locator('main img').count(), 0);
  assert.is(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss), undefined);
  assert.equal(seen.errors, []);
  await page.close();
});

test('the CSP: no inline script runs, the bundle does', async () => {
  const { page, seen } = await open(`/jobs/${ctx.seeded!.widgetJob}`);
  const res = await page.request.get(`${ctx.serve!.url}/jobs/${ctx.seeded!.widgetJob}`);
  assert.is(res.headers()['content-security-policy'], PAGE_CSP);
  assert.is(await page.locator('#log-tools').count(), 1, 'the bundled script ran');
  await page.addScriptTag({ content: 'window.__inline = 1' }).catch(() => undefined);
  assert.is(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline), undefined);
  assert.ok(seen.csp.length >= 1, 'chromium reported the blocked inline script');
  await page.close();
});

test('log: ANSI colours, group folding, #L links, search next/previous, timestamps', async () => {
  const { page } = await open(`/jobs/${ctx.seeded!.widgetJob}#L40`);
  await page.waitForSelector('#L40.target');
  assert.ok(await page.locator('#L40').isVisible());
  const red = page.locator('#L53 .t span').first();
  assert.is(await red.textContent(), 'red error text');
  assert.is(await red.evaluate((e) => getComputedStyle(e).color), 'rgb(187, 0, 0)');
  // Fold the group: its 20 lines and the end marker leave, the header stays.
  await page.locator('#L31 .fold').click();
  await page.waitForSelector('#L40', { state: 'detached' });
  assert.is(await page.locator('#L31 .group-name').textContent(), 'Install dependencies');
  assert.is(await page.locator('#L53').count(), 1, 'the line after the group stays');
  await screenshot(page, 'log-folded');
  await page.locator('#L31 .fold').click();
  await page.waitForSelector('#L40');
  // Search: next finds the needle, previous comes back to it after wrapping.
  await page.fill('#log-tools .search', 'needle');
  await page.press('#log-tools .search', 'Enter');
  await page.waitForSelector('#L204.current');
  assert.match((await page.locator('.search-status').textContent())!, /line 204/);
  assert.is(await page.locator('#L204 mark').textContent(), 'needle');
  await page.press('#log-tools .search', 'Shift+Enter');
  await page.waitForSelector('#L204.current');
  await page.locator('#ts-toggle').check();
  await page.waitForSelector('#L204 .ts');
  assert.match((await page.locator('#L204 .ts').textContent())!, /^\d\d:\d\d:\d\d\.\d{3}$/);
  await screenshot(page, 'log-search');
  // A line number is a link to itself.
  await page.locator('#L204 a.n').click();
  await page.waitForURL(/#L204$/);
  await page.close();
});

test('log: egress proxy lines have their own stream, and the Egress toggle leaves them out of the view and back', async () => {
  const { page } = await open(`/jobs/${ctx.seeded!.widgetJob}#L255`);
  await page.waitForSelector('#L255.egress');
  const text = page.locator('#L255 .t');
  assert.is(await text.textContent(), 'egress | CONNECT crates.io:443 allowed 1.2 MB 340 ms');
  assert.ok(await text.isVisible());
  assert.ok(await page.locator('#L254 .t').isVisible());
  const rows = () => page.evaluate(() => document.querySelector('#log .spacer')!.getBoundingClientRect().height);
  const before = await rows();
  await page.locator('#egress-toggle').uncheck();
  await page.waitForSelector('#L255', { state: 'detached' });
  assert.ok(await page.locator('#L254 .t').isVisible(), 'other streams stay');
  assert.is(await rows(), before - 20, 'one row fewer (20 px each)');
  await page.locator('#egress-toggle').check();
  await page.waitForSelector('#L255.egress');
  assert.is(await rows(), before);
  await page.close();
});

test('a 1,000,000-line log opens and scrolls (measured)', async () => {
  const started = Date.now();
  const { page, seen } = await open(`/jobs/${ctx.seeded!.bigJob}`);
  await waitText(page, '#L1 .t', /seeded log line/);
  const firstLineMs = Date.now() - started;
  const rendered = await page.locator('#log .ln').count();
  assert.ok(rendered < 300, `only the rows in view exist (${rendered})`);
  const t0 = Date.now();
  await page.evaluate(() => {
    const v = document.getElementById('log')!;
    v.scrollTop = v.scrollHeight / 2;
  });
  await waitText(page, '#log .ln .t', / 50\d\d\d\d$/);
  const jumpMs = Date.now() - t0;
  const t1 = Date.now();
  await page.keyboard.press('G');
  await waitText(page, `#L${BIG} .t`, new RegExp(` ${BIG}$`));
  const endMs = Date.now() - t1;
  const heap = await page.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
  console.log(`  1,000,000-line log: first line ${firstLineMs} ms, jump to the middle ${jumpMs} ms, to the end ${endMs} ms, JS heap ${(heap / 1048576).toFixed(1)} MiB`);
  assert.equal(seen.errors, []);
  await screenshot(page, 'log-million');
  await page.close();
});

test('a live job: its lines appear while it runs, follow mode keeps the last in view', async () => {
  const created = await ctx.serve!.api('POST', '/api/runs', { auth: true, body: { repository: ctx.repo!.dir, ref: 'main', event: 'workflow_dispatch', workflows: ['live.yml'] } });
  assert.is(created.status, 201, JSON.stringify(created.body));
  const jobId = created.body.jobs[0].id as string;
  const { page } = await open(`/jobs/${jobId}`);
  await waitText(page, '#log .t', /^tick 5$/);
  const state = (await ctx.serve!.api('GET', `/api/jobs/${jobId}`)).body.state;
  assert.ok(['running', 'provisioning'].includes(state), `the job was still ${state} when its line showed`);
  assert.ok(await page.locator('#follow-toggle').isChecked());
  await screenshot(page, 'log-live');
  await waitText(page, '#log .t', /^tick 40$/);
  await page.waitForSelector('#job-state.succeeded', { timeout: 30_000 });
  await page.close();
});

test('re-run: a writer (admin token) gets the buttons and a new run; a reader gets none and a refusal', async () => {
  const reader = await open(`/runs/${ctx.seeded!.widgetRun}`);
  assert.is(await reader.page.locator('#run-actions').count(), 0);
  const refused = await reader.page.request.post(`${ctx.serve!.url}/runs/${ctx.seeded!.widgetRun}/rerun`, { form: { scope: 'failed' }, headers: { accept: 'text/html' } });
  assert.is(refused.status(), 403);
  await reader.page.close();
  const writer = await open(`/runs/${ctx.seeded!.widgetRun}`, { authorization: `Bearer ${ctx.serve!.token}` });
  await writer.page.click('#run-actions button:text("Re-run failed jobs")');
  await writer.page.waitForURL((u) => /\/runs\//.test(u.pathname) && !u.pathname.endsWith(ctx.seeded!.widgetRun));
  assert.match((await writer.page.locator('h1').textContent())!, /Run of acme\/widget/);
  await writer.page.close();
});

test('keyboard and phone: j/k move through runs, the log page fits a phone', async () => {
  const context = await ctx.browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${ctx.serve!.url}/jobs/${ctx.seeded!.widgetJob}`);
  await page.waitForSelector('#L1 .t');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no sideways scrolling of the page (${overflow}px)`);
  await screenshot(page, 'job-phone');
  await page.goto(`${ctx.serve!.url}/`);
  await page.keyboard.press('j');
  assert.is(await page.evaluate(() => document.activeElement?.textContent), 'acme/widget');
  await context.close();
});

test.run();
