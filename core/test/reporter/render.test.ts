import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Annotation, ForgeCapabilities } from '@helios-ci/sdk';
import { renderSummary, renderTitle, renderUpdate, type CheckView } from '../../src/reporter/render.js';

const caps: ForgeCapabilities = { checkRuns: true, annotations: true, liveLog: true, actions: true, maxLogChars: 65_535, requestsPerMinute: 80 };

const view = (over: Partial<CheckView> = {}): CheckView => ({
  jobState: 'running',
  reason: null,
  plannedSteps: ['Checkout', 'Build | compile', 'Test'],
  steps: [
    { jobId: 'j', idx: 1, name: 'Checkout', state: 'completed', conclusion: 'success', startedAt: 0, finishedAt: 1200 },
    { jobId: 'j', idx: 2, name: 'Build | compile', state: 'running', conclusion: null, startedAt: 1200, finishedAt: null },
  ],
  annotations: [],
  annotationCount: 0,
  logTail: 'compiling…',
  fullLogUrl: 'https://ci.example.org/jobs/j',
  now: 4200,
  ...over,
});

test('title is `Step n/m: name` for the running step; final titles name the failing step', () => {
  assert.is(renderTitle(view()), 'Step 2/3: Build | compile');
  assert.is(renderTitle(view({ jobState: 'queued', steps: [] })), 'Queued');
  assert.is(renderTitle(view({ steps: [] })), 'Starting');
  const failed = view({ jobState: 'failed', steps: [view().steps[0]!, { ...view().steps[1]!, state: 'completed', conclusion: 'failure', finishedAt: 2000 }] });
  assert.is(renderTitle(failed), 'Failed at Step 2/3: Build | compile');
  assert.is(renderTitle(view({ jobState: 'succeeded' })), 'Succeeded');
});

test('summary is a markdown table of steps with status and duration, and a link to the full log', () => {
  const s = renderSummary(view(), caps);
  assert.equal(s.split('\n').slice(0, 5), [
    '| # | Step | Status | Duration |',
    '|---:|---|---|---:|',
    '| 1 | Checkout | ✅ success | 1.2 s |',
    '| 2 | Build \\| compile | ⏳ running | 3.0 s |',
    '| 3 | Test | · pending |  |',
  ]);
  assert.match(s, '[Full log](https://ci.example.org/jobs/j)');
  assert.not.match(s, 'Annotations');
});

test('artifacts: linked in the summary, counted in a final title (a commit status shows only that line)', () => {
  const artifacts = [
    { name: 'dist [linux]', size: 3 * 1024 * 1024, url: 'https://ci.example.org/api/runs/r/artifacts/dist%20%5Blinux%5D/zip' },
    { name: 'report', size: 10, url: 'https://ci.example.org/api/runs/r/artifacts/report/zip' },
  ];
  const s = renderSummary(view({ jobState: 'succeeded', artifacts }), caps);
  assert.match(s, '**Artifacts:** [dist \\[linux\\].zip](https://ci.example.org/api/runs/r/artifacts/dist%20%5Blinux%5D/zip) (3.0 MiB) · [report.zip](https://ci.example.org/api/runs/r/artifacts/report/zip) (10 B)');
  assert.is(renderTitle(view({ jobState: 'succeeded', artifacts })), 'Succeeded · 2 artifacts');
  assert.is(renderTitle(view({ jobState: 'succeeded', artifacts: artifacts.slice(1) })), 'Succeeded · 1 artifact');
  assert.is(renderTitle(view({ artifacts })), 'Step 2/3: Build | compile', 'a running title stays the step');
  assert.not.match(renderSummary(view({ artifacts: [] }), caps), 'Artifacts');
});

const anns = (n: number): Annotation[] => Array.from({ length: n }, (_, i) => ({ level: 'failure', message: `problem ${i + 1}`, file: 'src/a.ts', line: i + 1 }));

test('degrades by capability: annotations go into the summary; no liveLog means no text', () => {
  const noAnn = { ...caps, annotations: false };
  const s = renderSummary(view({ annotations: anns(2) }), noAnn);
  assert.match(s, '### Annotations (2)');
  assert.match(s, '- **failure** `src/a.ts:2` problem 2');
  assert.not.match(renderSummary(view({ annotations: anns(2) }), caps), 'problem 1');
  assert.is(renderUpdate(view(), caps).text, 'compiling…');
  assert.is(renderUpdate(view(), { ...caps, liveLog: false }).text, undefined);
  assert.is(renderUpdate(view({ jobState: 'queued' }), caps).status, 'queued');
});

test('a summary with more annotations than fit stays within maxLogChars and says how many are missing', () => {
  const small = { ...caps, annotations: false, maxLogChars: 2000 };
  const s = renderSummary(view({ annotations: anns(500) }), small);
  assert.ok(s.length <= 2000, `${s.length} chars`);
  const shown = s.split('\n').filter((l) => l.startsWith('- **failure**')).length;
  assert.ok(shown > 5);
  assert.match(s, `… and ${500 - shown} more`);
});

test.run();
