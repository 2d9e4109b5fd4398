import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { harness, lastLineNo, PUBLIC_URL } from './outboxHarness.js';

const anns = (n: number, from = 1) => Array.from({ length: n }, (_, i) => ({ level: 'warning' as const, message: `annotation ${from + i}` }));

test('a forge failing with 500s, then hanging, for six minutes of a ten-minute job: afterwards every write arrives, in order, none twice, close last', async () => {
  const h = harness({ worker: { callTimeoutMs: 30_000, maxBackoffMs: 30_000 }, maxForgeAnnotationsPerJob: 1000 });
  try {
    h.forge.failFor(4 * 60_000, 'error');
    const [id] = h.queueJobs(['build']) as [string];
    h.startJob(id);
    for (let i = 1; i <= 300; i++) {
      if (i === 120) h.forge.failFor(2 * 60_000, 'hang'); // minutes 4-6: calls never answer
      h.log(id, `out ${i}`);
      if (i % 100 === 0) h.reporter.annotation(id, anns(40, i - 39));
      await h.tick(2000);
    }
    h.finishJob(id);
    await h.drain();

    const calls = h.forge.calls;
    assert.ok(calls.some((c) => c.outcome === 'failed'), 'no 500s were injected');
    assert.ok(calls.some((c) => c.outcome === 'hung'), 'no hangs were injected');
    assert.equal(calls.filter((c) => c.outcome === 'rejected').map((c) => c.error), [], 'the forge refused a write');
    assert.is(h.forge.applied('openCheck').length, 1, 'the check was opened more than once');
    assert.is(h.forge.checks.size, 1);
    const check = [...h.forge.checks.values()][0]!;

    // Updates: strictly increasing log positions (in order, none sent twice), each ≥ 3 s apart.
    const positions = check.updates.map((u) => lastLineNo(u.text));
    assert.ok(positions.length >= 40, `only ${positions.length} updates arrived in the four healthy minutes`);
    assert.ok(positions[0]! >= 180, 'an update arrived during the outage');
    for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, `update ${i} went back or repeated: ${positions.join(',')}`);
    const updateTimes = h.forge.applied('updateCheck').map((c) => c.at);
    for (let i = 1; i < updateTimes.length; i++) assert.ok(updateTimes[i]! - updateTimes[i - 1]! >= 3000, 'two updates less than 3 s apart');

    // Annotations: all 120, once each, in order, in calls of ≤ 50.
    assert.equal(check.annotations.map((a) => a.message), [...anns(40, 61), ...anns(40, 161), ...anns(40, 261)].map((a) => a.message));
    for (const c of h.forge.applied('annotate')) assert.ok((c.args[1] as unknown[]).length <= 50);
    assert.is(h.forge.applied('annotate').length, 3, 'batches of 50 (two while running, the rest at the end)');

    // Close last, with the final output.
    const applied = calls.filter((c) => c.outcome === 'ok');
    assert.is(applied[applied.length - 1]!.method, 'closeCheck');
    assert.is(check.status, 'completed');
    assert.is(check.result!.conclusion, 'success');
    assert.is(lastLineNo(check.result!.text), 300);
    assert.is(check.result!.title, 'Succeeded');

    const rows = h.store.outbox.listByCheck(id);
    assert.equal([...new Set(rows.map((r) => r.state))].sort(), ['done', 'superseded']);
    assert.ok(rows.some((r) => r.attempts > 1), 'nothing was retried');
  } finally {
    h.cleanup();
  }
});

test('after a restart the worker resumes from the store and keeps the same check (no second open)', async () => {
  const h = harness();
  try {
    const [id] = h.queueJobs(['build']) as [string];
    await h.drain(); // the check is open on the forge
    h.forge.failFor(60 * 60_000, 'error');
    h.startJob(id);
    h.log(id, 'out 1');
    h.reporter.annotation(id, anns(3));
    h.log(id, 'out 2');
    await h.tick(10_000);
    h.finishJob(id, 'failed');
    // A crash while the close was in flight leaves it `sending`; the new process must send it again.
    const close = h.store.outbox.listByCheck(id).find((r) => r.kind === 'close')!;
    await h.restart();
    h.store.db.prepare("UPDATE outbox SET state = 'sending' WHERE id = ?").run(close.id);
    h.worker.start(); // idempotent for a running worker; the restart already started it
    await h.restart(); // and once more: 'sending' rows are reset on start
    h.forge.heal();
    await h.drain();

    assert.is(h.forge.applied('openCheck').length, 1);
    const check = [...h.forge.checks.values()][0]!;
    assert.equal(check.annotations.map((a) => a.message), ['annotation 1', 'annotation 2', 'annotation 3']);
    assert.is(check.result!.conclusion, 'failure');
    assert.is(check.result!.title, 'Failed at Step 1/2: Build');
    assert.is(lastLineNo(check.result!.text), 2);
    assert.is(h.forge.calls.filter((c) => c.outcome === 'ok').at(-1)!.method, 'closeCheck');
    assert.is(h.store.checks.get(id)!.state, 'closed');
  } finally {
    h.cleanup();
  }
});

test('a burst of 1,000 updates over 20 jobs is coalesced and stays within 80 requests per minute', async () => {
  const h = harness();
  try {
    const ids = h.queueJobs(Array.from({ length: 20 }, (_, i) => `job-${i}`));
    for (const id of ids) h.startJob(id);
    for (let i = 1; i <= 1000; i++) {
      h.log(ids[i % ids.length]!, `out ${i}`);
      await h.tick(50); // 1,000 updates in 50 simulated seconds
    }
    for (const id of ids) h.finishJob(id);
    await h.drain();

    const applied = h.forge.calls.filter((c) => c.outcome === 'ok');
    assert.equal(h.forge.calls.filter((c) => c.outcome !== 'ok'), []);
    // Any 60-second window holds at most 80 requests (sliding over every request time).
    for (const c of applied) {
      const inWindow = applied.filter((d) => d.at >= c.at && d.at < c.at + 60_000).length;
      assert.ok(inWindow <= 80, `${inWindow} requests in the minute from ${c.at}`);
    }
    const updates = h.forge.applied('updateCheck');
    assert.ok(updates.length < 200, `${updates.length} updates sent for 1,000 requested`);
    for (const id of ids) {
      const check = [...h.forge.checks.values()].find((c) => c.job.jobId === id)!;
      const times = updates.filter((u) => (u.args[0] as { id: string }).id === check.handle.id).map((u) => u.at);
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 3000, `check ${id}: updates < 3 s apart`);
      const lastOfJob = Math.max(...Array.from({ length: 1000 }, (_, i) => i + 1).filter((i) => ids[i % ids.length] === id));
      assert.is(lastLineNo(check.result!.text), lastOfJob, `check ${id} did not end with its last line`);
    }
  } finally {
    h.cleanup();
  }
});

test('degrades by capability: no annotations → listed in the summary; no liveLog → no text', async () => {
  const h = harness({ capabilities: { annotations: false, liveLog: false } });
  try {
    const [id] = h.queueJobs(['build']) as [string];
    h.startJob(id);
    h.log(id, 'out 1');
    h.reporter.annotation(id, [{ level: 'failure', message: 'boom', file: 'src/x.ts', line: 3 }]);
    await h.tick(5000);
    h.finishJob(id, 'failed');
    await h.drain();
    assert.is(h.forge.calls.filter((c) => c.method === 'annotate').length, 0);
    const check = [...h.forge.checks.values()][0]!;
    assert.match(check.result!.summary, '- **failure** `src/x.ts:3` boom');
    for (const u of check.updates) assert.is(u.text, undefined);
    assert.is(check.result!.text, undefined);
    assert.equal(h.store.annotations.list(id).map((a) => a.message), ['boom']);
  } finally {
    h.cleanup();
  }
});

for (const annotations of [false, true]) {
  test(`updates and the close state the job's annotation count as a typed field (forge annotations: ${annotations})`, async () => {
    const h = harness({ capabilities: { annotations } });
    try {
      const [id] = h.queueJobs(['build']) as [string];
      h.startJob(id);
      h.reporter.annotation(id, anns(2));
      await h.tick(5000);
      h.reporter.annotation(id, anns(3, 3));
      h.finishJob(id, 'failed');
      await h.drain();
      const check = [...h.forge.checks.values()][0]!;
      assert.ok(check.updates.length > 0, 'at least one update was sent');
      for (const u of check.updates) assert.type(u.annotationCount, 'number');
      assert.is(check.updates.at(-1)!.annotationCount! >= 2, true);
      assert.is(check.result!.annotationCount, 5);
    } finally {
      h.cleanup();
    }
  });
}

test('the log tail sent to the forge is cut to maxLogChars with a marker linking the full log', async () => {
  const h = harness({ capabilities: { maxLogChars: 1000 } });
  try {
    const [id] = h.queueJobs(['build']) as [string];
    h.startJob(id);
    for (let i = 1; i <= 500; i++) h.log(id, `out ${i}`);
    h.finishJob(id);
    await h.drain();
    const text = [...h.forge.checks.values()][0]!.result!.text!;
    assert.ok(text.length <= 1000 && text.length > 900, `${text.length} chars`);
    assert.match(text, new RegExp(`^… \\d+ earlier lines not shown; full log: ${PUBLIC_URL}/jobs/${id}\\n`));
    assert.is(lastLineNo(text), 500);
  } finally {
    h.cleanup();
  }
});

test('a refused open gives up the whole check; other checks are unaffected', async () => {
  const h = harness();
  try {
    const [bad] = h.queueJobs(['bad'], undefined, '') as [string]; // the forge refuses a check without a sha
    const [good] = h.queueJobs(['good']) as [string];
    h.startJob(bad);
    h.startJob(good);
    h.finishJob(bad);
    h.finishJob(good);
    await h.drain();
    assert.equal(h.forge.calls.filter((c) => c.outcome === 'rejected').map((c) => c.method), ['openCheck']);
    assert.equal([...new Set(h.store.outbox.listByCheck(bad).map((r) => r.state))].filter((s) => s !== 'superseded'), ['dead']);
    assert.is([...h.forge.checks.values()][0]!.result!.conclusion, 'success');
  } finally {
    h.cleanup();
  }
});

test('backoff grows exponentially while the forge is down', async () => {
  const h = harness({ worker: { baseBackoffMs: 1000, maxBackoffMs: 60_000 } });
  try {
    h.forge.failFor(10 * 60_000, 'error');
    h.queueJobs(['build']);
    await runUntilCalls(h, 9);
    const gaps = h.forge.calls.slice(1, 9).map((c, i) => c.at - h.forge.calls[i]!.at);
    // random() = 0.5 → delay = 0.75 · min(cap, base · 2^(n-1)).
    assert.equal(gaps, [750, 1500, 3000, 6000, 12_000, 24_000, 45_000, 45_000]);
  } finally {
    h.cleanup();
  }
});

async function runUntilCalls(h: ReturnType<typeof harness>, n: number): Promise<void> {
  while (h.forge.calls.length < n) {
    await h.tick(0);
    if (!h.clock.runNext()) throw new Error('no timers');
  }
}

test.run();
