import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RepoRef } from '@helios-ci/sdk';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createEventBus } from '../../src/kernel/eventBus.js';
import { createLogger, MemoryLogSink } from '../../src/kernel/logger.js';
import { Redactor } from '../../src/kernel/redactor.js';
import { LogCompactor } from '../../src/store/logs/logCompactor.js';
import { LogMaintenance } from '../../src/store/logs/logMaintenance.js';
import { LogRetention } from '../../src/store/logs/logRetention.js';
import type { Store } from '../../src/store/store.js';
import { jobPlan, openTempStore, REPO, runPlan, runUntil } from '../helpers/storeFixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 0, 1);

/** A finished, compacted job of `repo` finishing now (on the store's clock), with `n` distinct lines. */
async function compactedJob(store: Store, n: number, repo: RepoRef = REPO): Promise<string> {
  const { jobs } = store.runs.create({ repo, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan([jobPlan('build')]) });
  const id = jobs[0]!.id;
  store.jobs.transition(id, 'provisioning');
  store.jobs.transition(id, 'running');
  // Pseudo-random hex so sizes do not depend on compressing repeats.
  let x = n * 2654435761;
  store.logs.append(id, Array.from({ length: n }, (_, i) => ({ step: 1, stream: 'stdout', ts: i, text: `${i} ${(x = (x * 1103515245 + 12345) >>> 0).toString(16)}${(x ^ 0x5bd1e995).toString(16)}` })));
  store.jobs.transition(id, 'succeeded');
  await new LogCompactor(store).compactJob(id);
  return id;
}

test('retention by age: logs older than N days are removed, newer ones and live ones kept; the removed log says so', async () => {
  const clock = new ManualClock(START);
  const t = openTempStore({ clock });
  try {
    const old = await compactedJob(t.store, 500);
    clock.advance(40 * DAY);
    const mid = await compactedJob(t.store, 500);
    const live = t.store.runs.create({ repo: REPO, sha: 'abc', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan([jobPlan('live')]) }).jobs[0]!.id;
    t.store.jobs.transition(live, 'provisioning');
    t.store.logs.append(live, [{ step: 0, stream: 'system', ts: 0, text: 'still running' }]);
    clock.advance(55 * DAY);
    const retention = new LogRetention(t.store, { maxAgeDays: 90, maxBytesPerRepository: 0 });

    const planned = retention.prune({ dryRun: true });
    assert.equal(planned.map((d) => [d.jobId, d.reason]), [[old, 'older than 90 days']]);
    assert.is(t.store.logReader.lastSeq(old), 500, 'a dry run removes nothing');

    assert.equal(retention.prune().map((d) => d.jobId), [old]);
    const removedOn = new Date(clock.now()).toISOString().slice(0, 10);
    const notice = `[helios] log removed by retention on ${removedOn} (older than 90 days)`;
    assert.equal(t.store.logReader.read(old).map((l) => [l.seq, l.stream, l.text]), [[1, 'system', notice]]);
    assert.equal(t.store.logReader.read(old, { from: 2 }), []);
    assert.is(t.store.logReader.lastSeq(old), 1);
    assert.equal(t.store.logReader.readBackward(old, 2, 40).map((l) => l.text), [notice]);
    assert.equal(t.store.logReader.removal(old), { at: clock.now(), reason: 'older than 90 days' });
    assert.is(t.store.db.prepare('SELECT count(*) FROM log_chunks WHERE job_id = ?').pluck().get(old), 0, 'its chunks are deleted');
    assert.is(t.store.logReader.read(mid).length, 500);
    assert.is(t.store.logReader.read(live)[0]!.text, 'still running');
    assert.equal(retention.prune(), [], 'nothing more to remove');

    // 0 days: kept forever.
    clock.advance(365 * DAY);
    assert.equal(new LogRetention(t.store, { maxAgeDays: 0, maxBytesPerRepository: 0 }).plan(), []);
  } finally {
    t.cleanup();
  }
});

test('retention by size: a repository over its budget loses its oldest logs first; other repositories are untouched', async () => {
  const clock = new ManualClock(START);
  const t = openTempStore({ clock });
  try {
    const other: RepoRef = { owner: 'acme', name: 'gadget' };
    const a: string[] = [];
    for (let i = 0; i < 5; i++) {
      a.push(await compactedJob(t.store, 2000));
      clock.advance(DAY);
    }
    const b = [await compactedJob(t.store, 2000, other), await compactedJob(t.store, 2000, other)];
    const sizes = a.map((id) => t.store.logChunks.archive(id)!.storedBytes);
    const newestTwo = sizes[3]! + sizes[4]!;
    // Room for the two newest logs of a repository and a bit, not three.
    const budget = newestTwo + Math.floor(sizes[2]! / 2);
    const retention = new LogRetention(t.store, { maxAgeDays: 90, maxBytesPerRepository: budget });
    const removed = retention.prune();
    assert.equal(removed.map((d) => d.jobId), a.slice(0, 3), 'oldest first, until under the budget');
    assert.ok(removed.every((d) => d.reason.startsWith('repository logs over limits.maxLogBytesPerRepository')));
    assert.ok(removed.every((d) => d.repoKey === 'local:acme/widget'));
    for (const id of a.slice(0, 3)) assert.match(t.store.logReader.read(id)[0]!.text, /^\[helios\] log removed by retention on \d{4}-\d\d-\d\d \(repository logs over/);
    for (const id of [...a.slice(3), ...b]) assert.is(t.store.logReader.lastSeq(id), 2000);
    assert.equal(retention.prune(), []);
  } finally {
    t.cleanup();
  }
});

test('pruning runs periodically on the Clock while log maintenance runs', async () => {
  const clock = new ManualClock(START);
  const t = openTempStore({ clock });
  const sink = new MemoryLogSink();
  const logger = createLogger({ name: 'test', sink, redactor: new Redactor() });
  const m = new LogMaintenance({ store: t.store, events: createEventBus(logger), logger, retention: { maxAgeDays: 30, maxBytesPerRepository: 0 }, pruneIntervalMs: 60 * 60 * 1000 });
  try {
    const id = await compactedJob(t.store, 100);
    m.start();
    await m.idle();
    assert.is(t.store.logReader.lastSeq(id), 100, 'not old yet');
    assert.is(clock.pending, 1, 'the next pass is armed');
    clock.advance(31 * DAY);
    await runUntil(clock, () => t.store.logReader.removal(id) !== null);
    assert.ok(sink.lines.some((l) => l.includes('job logs removed by retention')));
    await m.stop();
    assert.is(clock.pending, 0, 'stop cancels the timer');
  } finally {
    await m.stop();
    t.cleanup();
  }
});

test.run();
