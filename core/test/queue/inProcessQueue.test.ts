import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { queueConformance } from '@helios-ci/sdk/testkit';
import type { QueueDelivery } from '@helios-ci/sdk';
import { InProcessQueue } from '../../src/queue/inProcessQueue.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { openTempStore, settle } from '../helpers/storeFixtures.js';

// The sdk's Queue conformance suite against the in-process queue on a real SQLite file.
queueConformance('in-process (SQLite)', async () => {
  const t = openTempStore();
  let queue = new InProcessQueue(t.store, { baseBackoffMs: 20 });
  return {
    subject: queue,
    async reopen() {
      await queue.close();
      queue = new InProcessQueue(t.reopen(), { baseBackoffMs: 20 });
      return queue;
    },
    async cleanup() {
      await queue.close();
      t.cleanup();
    },
  };
}).run();

test('an acked job published again after a restart stays acked; nack backoff follows the clock', async () => {
  const clock = new ManualClock();
  const t = openTempStore({ clock });
  try {
    const q = new InProcessQueue(t.store, { baseBackoffMs: 1000, maxBackoffMs: 4000 });
    const got: QueueDelivery[] = [];
    const sub = await q.consume(1, async (d) => void got.push(d));
    await q.publish({ jobId: 'j', labels: [] });
    await settle();
    assert.is(got.length, 1);
    await got[0]!.nack(); // default backoff: 1,000 ms · 2^0
    await settle();
    clock.advance(999);
    await settle();
    assert.is(got.length, 1, 'redelivered before the backoff');
    clock.advance(1);
    await settle();
    assert.is(got.length, 2);
    assert.is(got[1]!.message.redeliveries, 1);
    await got[1]!.ack();
    await got[1]!.ack(); // a second ack is a no-op
    await sub.close();
    await q.close();

    const q2 = new InProcessQueue(t.reopen(), {});
    const later: QueueDelivery[] = [];
    const sub2 = await q2.consume(2, async (d) => void later.push(d));
    await q2.publish({ jobId: 'j', labels: [] });
    await settle();
    assert.is(later.length, 0, 'an acked job came back');
    assert.is(t.store.queue.unacked(), 0);
    await sub2.close();
    await q2.close();
  } finally {
    t.cleanup();
  }
});

test('a stale delivery (returned by close) cannot ack the redelivered message', async () => {
  const t = openTempStore();
  try {
    const q = new InProcessQueue(t.store, { baseBackoffMs: 10 });
    const first: QueueDelivery[] = [];
    const sub1 = await q.consume(1, async (d) => void first.push(d));
    await q.publish({ jobId: 'k', labels: [] });
    await settle();
    await sub1.close();
    const second: QueueDelivery[] = [];
    const sub2 = await q.consume(1, async (d) => void second.push(d));
    await settle();
    assert.is(second.length, 1);
    await first[0]!.ack(); // stale: must not ack the second delivery
    assert.is(t.store.queue.get('k')!.state, 'delivered');
    await second[0]!.ack();
    assert.is(t.store.queue.get('k')!.state, 'acked');
    await sub2.close();
    await q.close();
  } finally {
    t.cleanup();
  }
});

test.run();
