import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../src/clock/manualClock.js';
import { createRun, openTempStore } from '../helpers/storeFixtures.js';

test('run pages (listAfter) neither skip nor repeat runs created in the same millisecond', () => {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(createRun(t.store, ['a']).runId);
      if (i % 3 === 2) clock.advance(1);
    }
    const seen: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page: { id: string }[] = t.store.runs.listAfter(cursor, 2)!;
      seen.push(...page.map((r) => r.id));
      if (page.length < 2) break;
      cursor = page[page.length - 1]!.id;
    }
    assert.equal(seen, t.store.runs.list({ limit: 100 }).map((r) => r.id));
    assert.equal([...seen].sort(), [...ids].sort());
    assert.is(t.store.runs.listAfter('no-such-run', 2), undefined);
  } finally {
    t.cleanup();
  }
});

test('job counts by state and inbox counts by forge', () => {
  const t = openTempStore();
  try {
    const { jobIds } = createRun(t.store, ['a', 'b', 'c']);
    t.store.jobs.transition(jobIds[0]!, 'provisioning');
    t.store.jobs.transition(jobIds[1]!, 'cancelled');
    assert.equal(t.store.jobs.countByState(), { queued: 1, provisioning: 1, cancelled: 1 });
    t.store.inbox.receive({ forge: 'gh', deliveryId: '1', kind: 'push', payload: {} });
    t.store.inbox.receive({ forge: 'gh', deliveryId: '1', kind: 'push', payload: {} });
    t.store.inbox.receive({ forge: 'gh', deliveryId: '2', kind: 'push', payload: {} });
    t.store.inbox.receive({ forge: 'api', deliveryId: 'x', kind: 'local', payload: {} });
    assert.equal(t.store.inbox.countByForge(), { gh: 2, api: 1 });
  } finally {
    t.cleanup();
  }
});

test.run();
