import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUDGET_MS, turn } from '../../src/agent-service/loopBudget.js';
import { ReadAhead } from '../../src/agent-service/readAhead.js';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

test('within the budget a turn costs nothing; past it the next message waits for a later turn of the loop', async () => {
  busy(BUDGET_MS);
  const first = turn();
  assert.ok(first, 'a slice used up');
  await first;
  assert.is(turn(), null, 'a fresh slice');
  let ioRan = false;
  setImmediate(() => (ioRan = true));
  busy(BUDGET_MS + 5);
  const wait = turn();
  assert.ok(wait, 'past the budget');
  await wait;
  assert.ok(ioRan, 'what was queued before ran first');
  assert.is(turn(), null, 'a new slice after the wait');
});

test('read-ahead: messages that each take longer than the budget let other work run between them, in order', async () => {
  await nextTurn();
  const order: string[] = [];
  const ra = new ReadAhead<number>(
    { pause: () => undefined, resume: () => undefined },
    async (n) => {
      order.push(`message ${n}`);
      busy(BUDGET_MS + 2);
    },
    (err) => order.push(`fail ${String(err)}`),
    () => false,
  );
  ra.push(1);
  ra.push(2);
  ra.push(3);
  setImmediate(() => order.push('other work'));
  for (let i = 0; i < 10; i++) await nextTurn();
  assert.equal(order.filter((o) => o.startsWith('message')), ['message 1', 'message 2', 'message 3']);
  const other = order.indexOf('other work');
  assert.ok(other > 0 && other < 3, `other work ran between the messages: ${order.join(', ')}`);
});

test.run();
