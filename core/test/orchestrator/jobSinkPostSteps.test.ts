/** Post steps the agent reports (`__post_<id>`) become steps after the planned ones, with their logs. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Logger } from '@helios-ci/sdk';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { StoreJobSink } from '../../src/orchestrator/jobSink.js';
import { createRun, jobPlan, openTempStore } from '../helpers/storeFixtures.js';

const test = suite('job sink post steps');
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as unknown as Logger;

test('a post step is recorded as step n+1 with its name, conclusion and log lines', () => {
  const t = openTempStore();
  try {
    const { runId, jobIds } = createRun(t.store, ['build'], ['Cache', 'Build']);
    const plan = jobPlan('build', ['Cache', 'Build']);
    const sink = new StoreJobSink(t.store, createEventBus(silent), runId, jobIds[0]!, plan);
    const [cache, build] = plan.steps;
    let seq = 0;
    for (const s of [cache!, build!]) {
      sink.onStepStarted({ seq: ++seq, step: s.id, name: s.name, parent: null, ts: 1 });
      sink.onStepFinished({ seq: ++seq, step: s.id, exit: null, outcome: 'success', conclusion: 'success', outputs: {}, summary: null, ts: 2 });
    }
    const post = `__post_${cache!.id}`;
    sink.onStepStarted({ seq: ++seq, step: post, name: 'Post Cache', parent: null, ts: 3 });
    sink.onLog({ seq: ++seq, step: post, stream: 'system', ts: 3, lines: ['Cache saved with key: k'], text: 'Cache saved with key: k' });
    sink.onStepFinished({ seq: ++seq, step: post, exit: null, outcome: 'success', conclusion: 'success', outputs: {}, summary: null, ts: 4 });
    const steps = t.store.steps.list(jobIds[0]!);
    assert.equal(steps.map((s) => [s.idx, s.name, s.state, s.conclusion]), [[1, 'Cache', 'completed', 'success'], [2, 'Build', 'completed', 'success'], [3, 'Post Cache', 'completed', 'success']]);
    const lines = t.store.logs.read(jobIds[0]!);
    assert.equal(lines.filter((l) => l.text === 'Cache saved with key: k').map((l) => l.step), [3]);
  } finally {
    t.cleanup();
  }
});

test.run();
