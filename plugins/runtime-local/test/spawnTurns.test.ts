import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnTurn } from '../src/spawnTurns.js';

test('agent starts asked for in one turn are spread over turns of the loop, in order, with other work between', async () => {
  const order: string[] = [];
  const starts = [1, 2, 3].map((n) =>
    spawnTurn().then((end) => {
      order.push(`start ${n}`);
      end();
    }),
  );
  // Queued in the same turn as the starts: it must not wait behind all three.
  setImmediate(() => setImmediate(() => order.push('other work')));
  await Promise.all(starts);
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(order.filter((o) => o.startsWith('start')), ['start 1', 'start 2', 'start 3']);
  const other = order.indexOf('other work');
  assert.ok(other > 0 && other < 3, `other work ran between the starts: ${order.join(', ')}`);
});

test('a start holds its turn across its own I/O: the next begins only after it ends, a failed one included', async () => {
  const order: string[] = [];
  const first = spawnTurn().then(async (end) => {
    order.push('first begins');
    await new Promise((r) => setTimeout(r, 30));
    order.push('first ends');
    end();
  });
  const failing = spawnTurn().then((end) => {
    order.push('second begins');
    try {
      throw new Error('provision failed');
    } catch {
      end();
    }
  });
  const third = spawnTurn().then((end) => {
    order.push('third begins');
    end();
    end(); // twice is harmless
  });
  await Promise.all([first, failing, third]);
  assert.equal(order, ['first begins', 'first ends', 'second begins', 'third begins']);
  const fourth = await spawnTurn();
  fourth();
});

test.run();
