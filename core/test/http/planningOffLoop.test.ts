import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { ServeHarness } from './serveHarness.js';
import { planningTooLongForASecond } from '../workflow/heavyWorkflows.js';

/**
 * Issue 10, item 1: planning a pathological workflow blocked `helios serve`'s event loop for minutes
 * (webhooks, the API and agent heartbeats unanswered). Planning now runs in a worker thread with a
 * budget (limits.planTimeoutSeconds): the server keeps answering and the run ends with a problem.
 */
test('while a pathological workflow is planned, /healthz keeps answering; planning ends with a timeout problem', async () => {
  const repo = new GitRepo();
  const serve = new ServeHarness('limits:\n  planTimeoutSeconds: 1\n');
  try {
    for (const f of planningTooLongForASecond()) repo.write(f.path, f.content);
    repo.commit('heavy workflows');
    await serve.start();

    let planning = true;
    const post = serve.api('POST', '/api/runs', { auth: true, body: { repository: repo.dir, ref: 'main' } }).finally(() => (planning = false));
    // Poll health one request after another for as long as the run is being planned: every poll
    // must answer, and some must answer while planning is still under way (no latency threshold).
    const polls: { status: number; duringPlanning: boolean }[] = [];
    while (planning) {
      const res = await fetch(`${serve.url}/healthz`);
      await res.arrayBuffer();
      polls.push({ status: res.status, duringPlanning: planning });
      await new Promise((r) => setTimeout(r, 20));
    }
    const created = await post;

    assert.is(created.status, 400, JSON.stringify(created.body));
    assert.is(created.body.error.code, 'E_WORKFLOW_INVALID');
    assert.match(created.body.error.message, /\.github\/workflows\/heavy-\d\d\.yml:1:1: planning took longer than 1 s \(limit: plan time per event\) and was stopped/);
    assert.ok(polls.every((p) => p.status === 200), JSON.stringify(polls));
    const answeredDuring = polls.filter((p) => p.duringPlanning).length;
    assert.ok(answeredDuring >= 2, `health answered ${answeredDuring} times while planning`);
    assert.is((await serve.api('GET', '/healthz')).status, 200);
  } finally {
    await serve.stop();
    repo.cleanup();
  }
});

test.run();
