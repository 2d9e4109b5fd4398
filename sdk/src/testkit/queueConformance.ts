import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { Queue, QueueDelivery } from '../interfaces/queue.js';
import { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';

/** A queue under test, plus (optionally) a way to get a second instance over the same persisted state. */
export interface QueueSubject extends Subject<Queue> {
  /**
   * Simulates a process restart: stops the current instance without acking anything and returns a
   * new instance over the same storage. Omit for queues that do not persist; the persistence case
   * is then reported as a failure only if `persistent` is true.
   */
  reopen?(): Promise<Queue>;
}

export interface QueueConformanceOptions {
  /** The queue claims to keep messages across restarts (then `reopen` is required). Default true. */
  persistent?: boolean;
  /** How long the suite waits for a delivery that must happen (real time). Default 2,000 ms. */
  deliveryTimeoutMs?: number;
  /** How long the suite watches for a delivery that must not happen. Default 150 ms. */
  quietMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) assert.unreachable(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Collects deliveries; the test decides when to ack/nack them. */
function collector() {
  const got: QueueDelivery[] = [];
  return { got, handler: async (d: QueueDelivery) => void got.push(d) };
}

function cases(o: Required<QueueConformanceOptions>): ConformanceCase<QueueSubject>[] {
  const wait = (what: string, cond: () => boolean) => waitFor(what, cond, o.deliveryTimeoutMs);
  const list: ConformanceCase<QueueSubject>[] = [
    {
      name: 'a published message is delivered with its jobId, labels and redeliveries 0',
      async run({ subject: q }) {
        const c = collector();
        const sub = await q.consume(1, c.handler);
        await q.publish({ jobId: 'job-1', labels: ['ubuntu-24.04', 'x64'] });
        await wait('the delivery', () => c.got.length === 1);
        assert.equal(c.got[0]!.message, { jobId: 'job-1', labels: ['ubuntu-24.04', 'x64'], redeliveries: 0 });
        await c.got[0]!.ack();
        await sub.close();
      },
    },
    {
      name: 'messages published before consume() starts are delivered, in publish order at capacity 1',
      async run({ subject: q }) {
        for (const id of ['a', 'b', 'c']) await q.publish({ jobId: id, labels: [] });
        const order: string[] = [];
        const sub = await q.consume(1, async (d) => {
          order.push(d.message.jobId);
          await d.ack();
        });
        await wait('three deliveries', () => order.length === 3);
        assert.equal(order, ['a', 'b', 'c']);
        await sub.close();
      },
    },
    {
      name: 'publish is idempotent per jobId: the same job twice is delivered once',
      async run({ subject: q }) {
        const c = collector();
        const sub = await q.consume(4, c.handler);
        await q.publish({ jobId: 'dup', labels: [] });
        await q.publish({ jobId: 'dup', labels: [] });
        await wait('the delivery', () => c.got.length >= 1);
        await c.got[0]!.ack();
        await q.publish({ jobId: 'dup', labels: [] });
        await sleep(o.quietMs);
        assert.is(c.got.length, 1, 'delivered more than once');
        await sub.close();
      },
    },
    {
      name: 'at most `capacity` un-acked deliveries at once; an ack frees a slot',
      async run({ subject: q }) {
        const c = collector();
        const sub = await q.consume(2, c.handler);
        for (let i = 0; i < 5; i++) await q.publish({ jobId: `cap-${i}`, labels: [] });
        await wait('two deliveries', () => c.got.length === 2);
        await sleep(o.quietMs);
        assert.is(c.got.length, 2, 'more than capacity un-acked');
        await c.got[0]!.ack();
        await wait('a third delivery after an ack', () => c.got.length === 3);
        await sleep(o.quietMs);
        assert.is(c.got.length, 3);
        await sub.close();
      },
    },
    {
      name: 'nack(0) redelivers with redeliveries incremented; ack ends it',
      async run({ subject: q }) {
        const c = collector();
        const sub = await q.consume(1, c.handler);
        await q.publish({ jobId: 'retry', labels: ['l'] });
        await wait('first delivery', () => c.got.length === 1);
        await c.got[0]!.nack(0);
        await wait('redelivery', () => c.got.length === 2);
        assert.is(c.got[1]!.message.jobId, 'retry');
        assert.is(c.got[1]!.message.redeliveries, 1);
        await c.got[1]!.ack();
        await sleep(o.quietMs);
        assert.is(c.got.length, 2, 'redelivered after ack');
        await sub.close();
      },
    },
    {
      name: 'nack(delay) holds the message back for the delay',
      async run({ subject: q }) {
        const c = collector();
        const sub = await q.consume(1, c.handler);
        await q.publish({ jobId: 'later', labels: [] });
        await wait('first delivery', () => c.got.length === 1);
        const delay = Math.max(300, o.quietMs * 2);
        const nackedAt = Date.now();
        await c.got[0]!.nack(delay);
        await wait('delayed redelivery', () => c.got.length === 2);
        assert.ok(Date.now() - nackedAt >= delay - 20, `redelivered after ${Date.now() - nackedAt} ms, before the ${delay} ms delay`);
        await c.got[1]!.ack();
        await sub.close();
      },
    },
    {
      name: 'a handler that throws does not lose the message',
      async run({ subject: q }) {
        let calls = 0;
        let acked = false;
        const sub = await q.consume(1, async (d) => {
          calls++;
          if (calls === 1) throw new Error('handler bug');
          await d.ack();
          acked = true;
        });
        await q.publish({ jobId: 'throws', labels: [] });
        // A hang guard, not a speed check: a loaded machine can delay the redelivery well past the backoff.
        await waitFor('redelivery after a throwing handler', () => acked, Math.max(o.deliveryTimeoutMs * 3, 30_000));
        assert.is(calls, 2);
        await sub.close();
      },
    },
    {
      name: 'close() returns un-acked deliveries to the queue for the next consumer',
      async run({ subject: q }) {
        const first = collector();
        const sub1 = await q.consume(1, first.handler);
        await q.publish({ jobId: 'held', labels: [] });
        await wait('first delivery', () => first.got.length === 1);
        await sub1.close();
        const second = collector();
        const sub2 = await q.consume(1, second.handler);
        await wait('redelivery to the second consumer', () => second.got.length === 1);
        assert.is(second.got[0]!.message.jobId, 'held');
        assert.ok(second.got[0]!.message.redeliveries >= 1, 'redeliveries not counted');
        await second.got[0]!.ack();
        await sub2.close();
      },
    },
  ];
  if (o.persistent) {
    list.push({
      name: 'persistence: queued and un-acked messages survive a restart, acked ones do not come back',
      async run(s) {
        assert.ok(s.reopen, 'the queue claims persistence but the subject has no reopen()');
        const c = collector();
        const sub = await s.subject.consume(1, c.handler);
        for (const id of ['p-acked', 'p-held', 'p-queued']) await s.subject.publish({ jobId: id, labels: ['x'] });
        await wait('first delivery', () => c.got.length === 1);
        await c.got[0]!.ack();
        await wait('second delivery', () => c.got.length === 2);
        // p-held is delivered but never acked; p-queued was never delivered. Now the process "dies".
        const q2 = await s.reopen!();
        const after = collector();
        const sub2 = await q2.consume(4, after.handler);
        await wait('two redeliveries', () => after.got.length === 2);
        await sleep(o.quietMs);
        const byId = new Map(after.got.map((d) => [d.message.jobId, d.message]));
        assert.equal([...byId.keys()].sort(), ['p-held', 'p-queued']);
        assert.ok(byId.get('p-held')!.redeliveries >= 1, 'the un-acked delivery was not counted as a redelivery');
        assert.equal(byId.get('p-queued')!.labels, ['x']);
        for (const d of after.got) await d.ack();
        await sub2.close();
        void sub;
      },
    });
  }
  return list;
}

/**
 * The Queue conformance suite. `create()` returns a fresh, empty queue (real time is used, so keep
 * the backend local). Persistent queues also return `reopen()`.
 */
export function queueConformance(name: string, create: () => Promise<QueueSubject>, options: QueueConformanceOptions = {}): Test {
  const o: Required<QueueConformanceOptions> = { persistent: true, deliveryTimeoutMs: 2000, quietMs: 150, ...options };
  return conformanceSuite<QueueSubject>(`Queue conformance: ${name}`, async () => {
    const s = await create();
    return { subject: s, cleanup: () => s.cleanup?.() };
  }, cases(o));
}
