import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeHtml, html, raw } from '../../src/http/ui/html.js';
import { jobPage } from '../../src/http/ui/jobPage.js';
import { formatDuration } from '../../src/http/ui/format.js';
import { JOB_PAGE_SCRIPT } from '../../src/http/ui/jobPageScript.js';
import type { JobView } from '../../src/orchestrator/runView.js';

const EVIL = `<script>alert("x")</script> & 'q' <img src=x onerror=alert(1)>`;

test('html escapes interpolations unless they are SafeHtml', () => {
  assert.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.is(html`<p>${EVIL}</p>`.text, `<p>${escapeHtml(EVIL)}</p>`);
  assert.is(html`<p>${html`<b>${'<i>'}</b>`}${raw('<br>')}${[1, '<', null, false]}</p>`.text, '<p><b>&lt;i&gt;</b><br>1&lt;</p>');
});

test('the job page escapes every repository-controlled string and keeps its script data-driven', () => {
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
    annotations: [{ level: 'failure', message: EVIL, file: 'a"b.ts', line: 3 }],
  };
  const page = jobPage({ job, runId: 'run"1', lines: [{ jobId: 'job-1', seq: 1, step: 1, stream: 'stdout', ts: 1, text: EVIL }], next: 2, live: true }, 'NONCE').text;
  // The only script element is the page's own, carrying the nonce.
  assert.is(page.match(/<script/g)!.length, 1);
  assert.match(page, /<script nonce="NONCE">/);
  assert.not.match(page, /<img/);
  assert.ok(page.includes(escapeHtml(EVIL)));
  assert.match(page, /href="\/runs\/run%221"/);
  assert.match(page, /data-job="job-1" data-next="2" data-live="1"/);
  assert.match(page, /<tr data-step="1">/);
  assert.match(page, /1\.5 s/);
  assert.match(page, /1m 01s/);
  // The script writes log text with textContent only.
  assert.not.match(page, /innerHTML/);
  assert.match(page, /div\.textContent = line\.text/);
});

test('artifact links on the job page: names escaped in text, encoded in the zip URL', () => {
  const job = { id: 'job-1', key: 'b', name: 'b', workflow: 'ci', matrix: null, runsOn: ['local'], state: 'succeeded', reason: null, attempt: 1, outputs: {}, durationMs: 1, steps: [], annotations: [] } as unknown as Parameters<typeof jobPage>[0]['job'];
  const artifacts = [{ runId: 'run 1', jobId: 'job-1', name: '<b>évil & "x"', blobId: 'artifact/1', size: 2048, createdAt: 0, expiresAt: Date.UTC(2026, 2, 1) }];
  const page = jobPage({ job, runId: 'run 1', lines: [], next: 1, live: false, artifacts }, 'N').text;
  assert.match(page, /<h2>Artifacts of this run<\/h2>/);
  assert.ok(page.includes('href="/api/runs/run%201/artifacts/%3Cb%3E%C3%A9vil%20%26%20%22x%22/zip"'), page);
  assert.ok(page.includes('&lt;b&gt;évil &amp; &quot;x&quot;.zip'));
  assert.match(page, /2\.0 KiB, kept until 2026-03-01/);
  assert.not.match(jobPage({ job, runId: 'r', lines: [], next: 1, live: false }, 'N').text, /Artifacts/);
});

test('the page script parses, and does nothing on a page without a live log', () => {
  const script = new Function('document', 'window', JOB_PAGE_SCRIPT);
  let opened = 0;
  const doc = { getElementById: (id: string) => (id === 'log' ? { dataset: { live: '0', job: 'j', next: '1' } } : null) };
  script(doc, { EventSource: function () { opened++; } });
  assert.is(opened, 0);
});

test('the page script appends streamed lines as text, updates steps and the job state, and closes when finished', () => {
  const children: Record<string, unknown>[] = [];
  const log = { dataset: { live: '1', job: 'job 1', next: '7' }, scrollTop: 0, clientHeight: 0, scrollHeight: 0, appendChild: (c: Record<string, unknown>) => children.push(c) };
  const jobState = { textContent: 'running', className: 'state running' };
  const stepState = { textContent: 'pending', className: 'state pending' };
  const row = { querySelector: (sel: string) => (sel === '.state' ? stepState : { textContent: '' }) };
  const doc = {
    getElementById: (id: string) => ({ log, 'job-state': jobState } as Record<string, unknown>)[id] ?? null,
    querySelector: (sel: string) => (sel === 'tr[data-step="2"]' ? row : null),
    createElement: () => ({ dataset: {} as Record<string, string> }),
  };
  const listeners: Record<string, (ev: { data: string }) => void> = {};
  let url = '';
  let closed = false;
  function FakeEventSource(this: unknown, u: string) {
    url = u;
    return { addEventListener: (type: string, fn: (ev: { data: string }) => void) => (listeners[type] = fn), close: () => (closed = true) };
  }
  new Function('document', 'window', 'EventSource', JOB_PAGE_SCRIPT)(doc, { EventSource: FakeEventSource }, FakeEventSource);
  assert.is(url, '/api/jobs/job%201/log/stream?from=7');
  listeners.log!({ data: JSON.stringify({ seq: 7, step: 2, stream: 'stderr', ts: 1, text: EVIL }) });
  assert.equal(children, [{ className: 'ln stderr', dataset: { seq: '7' }, textContent: EVIL }]);
  listeners.step!({ data: JSON.stringify({ step: 2, name: 'x', state: 'finished', conclusion: 'failure' }) });
  assert.equal(stepState, { textContent: 'failure', className: 'state failure' });
  listeners.finished!({ data: JSON.stringify({ state: 'failed', reason: null, lastSeq: 7 }) });
  assert.equal(jobState, { textContent: 'failed', className: 'state failed' });
  assert.ok(closed);
});

test('durations read naturally', () => {
  assert.is(formatDuration(null), '—');
  assert.is(formatDuration(850), '850 ms');
  assert.is(formatDuration(12_345), '12.3 s');
  assert.is(formatDuration(245_000), '4m 05s');
  assert.is(formatDuration(3_720_000), '1h 02m');
});

test.run();
