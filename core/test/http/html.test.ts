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

test('durations read naturally', () => {
  assert.is(formatDuration(null), '—');
  assert.is(formatDuration(850), '850 ms');
  assert.is(formatDuration(12_345), '12.3 s');
  assert.is(formatDuration(245_000), '4m 05s');
  assert.is(formatDuration(3_720_000), '1h 02m');
});

test.run();
