import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkerLiveness } from '../src/workerLiveness.js';

test('silence counts from the last word of the worker, or from the claim when it said nothing since', () => {
  let now = 1000;
  const l = new WorkerLiveness(() => now);
  now = 5000;
  assert.is(l.silentMs('wa', 4000), 1000, 'from the claim');
  l.heard('wa');
  now = 7500;
  assert.is(l.silentMs('wa', 4000), 2500, 'from the last poll');
  assert.is(l.silentMs('wb', 6000), 1500, 'another worker has its own clock');
});

test('while control is cut off from NATS nobody is silent; after the reconnect everyone gets the full bound again', () => {
  let now = 0;
  const l = new WorkerLiveness(() => now);
  l.heard('wa');
  now = 2000;
  l.disconnected();
  now = 60_000;
  assert.is(l.silentMs('wa', 0), 0);
  l.reconnected();
  now = 61_000;
  assert.is(l.silentMs('wa', 0), 1000);
});

test.run();
