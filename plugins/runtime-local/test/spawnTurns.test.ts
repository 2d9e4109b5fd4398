import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTurn } from '../src/spawnTurns.js';

test('agent starts asked for in one turn are spread over turns of the loop, in order, with other work between', async () => {
  const order: string[] = [];
  const starts = [1, 2, 3].map((n) => spawnTurn().then(() => order.push(`start ${n}`)));
  // Queued in the same turn as the starts: it must not wait behind all three.
  setImmediate(() => setImmediate(() => order.push('other work')));
  await Promise.all(starts);
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(order.filter((o) => o.startsWith('start')), ['start 1', 'start 2', 'start 3']);
  const other = order.indexOf('other work');
  assert.ok(other > 0 && other < 3, `other work ran between the starts: ${order.join(', ')}`);
});

test.run();
