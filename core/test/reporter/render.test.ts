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
