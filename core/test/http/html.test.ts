import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, html, raw } from '../../src/http/ui/html.js';
import { jobPage } from '../../src/http/ui/jobPage.js';
import { formatDuration } from '../../src/http/ui/format.js';
import type { JobView } from '../../src/orchestrator/runView.js';

const EVIL = `<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>`;

test('html escapes interpolations unless they are SafeHtml', () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.is(html`<p>${EVIL}</p>`.text, `<p>${escapeHtml(EVIL)}</p>`);
  assert.is(html`<p>${html`<b>${'<i>'}</b>`}${raw('<br>')}${[1, '<', null, false]}</p>`.text, '<p><b>&lt;i&gt;</b><br>1&lt;</p>');
});

test('the job page escapes every repository-controlled string and has no inline script', () => {
  const job: JobView = {
    id: 'job-1',
    key: 'build',
    name: EVIL,
    workflow: '.github/workflows/<x>.yml',
    matrix: null,
    runsOn: ['local'],
    state: 'failed',
    reason: EVIL,
    attempt: 1,
    outputs: {},
    durationMs: 61_000,
    steps: [{ number: 1, name: EVIL, state: 'completed', conclusion: 'failure', durationMs: 1500 }],
    actions: [{ step: '__1', name: EVIL, uses: `acme/${EVIL}@v1`, kind: 'node-action', repo: 'acme/x', path: '', ref: 'v1', sha: 'a'.repeat(40) }],
    annotations: [{ level: 'failure', message: EVIL, file: 'a"b.ts', line: 3 }],
  };
  const page = jobPage({ job, runId: 'run"1', lines: [{ jobId: 'job-1', seq: 1, step: 1, stream: 'stdout', ts: 1, text: `\u001b[31m${EVIL}\u001b[0m` }], next: 2, lastSeq: 1, live: true }).text;
  assert.not.match(page, /<script/);
  assert.not.match(page, /<img/);
  assert.not.match(page, /\u001b/, 'escape sequences are dropped from the page without script');
  assert.ok(page.includes(escapeHtml(EVIL)));
  assert.match(page, /href="\/runs\/run%221"/);
  assert.match(page, /data-job="job-1" data-next="2" data-last="1" data-live="1"/);
  assert.match(page, /<tr data-step="1">/);
  assert.match(page, /<tr data-action-step="__1">.*<code title="a{40}">a{12}<\/code>/, 'a remote action shows the commit it was planned at');
  assert.match(page, /<div class="ln stdout" id="L1"><a class="n" href="#L1">1<\/a>/);
  assert.match(page, /1\.5 s/);
  assert.match(page, /1m 01s/);
});

test('artifact links on the job page: names escaped in text, encoded in the zip URL', () => {
  const job = { id: 'job-1', key: 'b', name: 'b', workflow: 'ci', matrix: null, runsOn: ['local'], state: 'succeeded', reason: null, attempt: 1, outputs: {}, durationMs: 1, steps: [], actions: [], annotations: [] } as unknown as Parameters<typeof jobPage>[0]['job'];
  const artifacts = [{ runId: 'run 1', jobId: 'job-1', name: '<b>évil & "x"', blobId: 'artifact/1', size: 2048, createdAt: 0, expiresAt: Date.UTC(2026, 2, 1) }];
  const page = jobPage({ job, runId: 'run 1', lines: [], next: 1, lastSeq: 0, live: false, artifacts }).text;
  assert.match(page, /<h2>Artifacts of this run<\/h2>/);
  assert.ok(page.includes('href="/api/runs/run%201/artifacts/%3Cb%3E%C3%A9vil%20%26%20%22x%22/zip"'), page);
  assert.ok(page.includes('&lt;b&gt;évil &amp; &quot;x&quot;.zip'));
  assert.match(page, /2\.0 KiB, kept until 2026-03-01/);
  assert.not.match(jobPage({ job, runId: 'r', lines: [], next: 1, lastSeq: 0, live: false }).text, /Artifacts/);
});

test('durations read naturally', () => {
  assert.is(formatDuration(null), '—');
  assert.is(formatDuration(850), '850 ms');
  assert.is(formatDuration(12_345), '12.3 s');
  assert.is(formatDuration(245_000), '4m 05s');
  assert.is(formatDuration(3_720_000), '1h 02m');
});

test.run();
