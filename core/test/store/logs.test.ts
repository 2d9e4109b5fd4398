import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogLineInput } from '../../src/store/records.js';
import { createRun, openTempStore } from '../helpers/storeFixtures.js';

const lines = (from: number, n: number, step = 1): LogLineInput[] =>
  Array.from({ length: n }, (_, i) => ({ step, stream: i % 3 === 0 ? 'stderr' : 'stdout', ts: 1000 + from + i, text: `line ${from + i}` }));

test('appends keep order with contiguous seqs across batches and jobs', () => {
  const t = openTempStore();
  try {
    const [a, b] = createRun(t.store, ['a', 'b']).jobIds as [string, string];
    assert.equal(t.store.logs.append(a, lines(1, 3)), { first: 1, last: 3 });
    assert.equal(t.store.logs.append(b, lines(1, 2)), { first: 1, last: 2 });
    assert.equal(t.store.logs.append(a, lines(4, 2, 2)), { first: 4, last: 5 });
    assert.equal(t.store.logs.append(a, []), { first: 6, last: 5 });
    const all = t.store.logs.read(a);
    assert.equal(all.map((l) => l.seq), [1, 2, 3, 4, 5]);
    assert.equal(all.map((l) => l.text), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
    assert.equal(all[3], { jobId: a, seq: 4, step: 2, stream: 'stderr', ts: 1004, text: 'line 4' });
    assert.is(t.store.logs.lastSeq(b), 2);
    assert.is(t.store.logs.lastSeq('no-such-job'), 0);
  } finally {
    t.cleanup();
  }
});

test('range reads: from seq (inclusive) with a limit; backward reads for tails', () => {
  const t = openTempStore();
  try {
    const id = createRun(t.store, ['a']).jobIds[0]!;
    t.store.logs.append(id, lines(1, 100));
    assert.equal(t.store.logs.read(id, { from: 98 }).map((l) => l.seq), [98, 99, 100]);
    assert.equal(t.store.logs.read(id, { from: 10, limit: 2 }).map((l) => l.seq), [10, 11]);
    assert.equal(t.store.logs.read(id, { from: 101 }), []);
    assert.equal(t.store.logs.readBackward(id, 4, 10).map((l) => l.seq), [3, 2, 1]);
  } finally {
    t.cleanup();
  }
});

test('text is stored byte for byte (unicode, empty lines, very long lines) and survives a reopen', () => {
  const t = openTempStore();
  try {
    const id = createRun(t.store, ['a']).jobIds[0]!;
    const texts = ['', 'ünïcødé ✅ 🚀', 'x'.repeat(200_000), '\ttabs and trailing spaces  '];
    t.store.logs.append(id, texts.map((text, i) => ({ step: 1, stream: 'stdout', ts: i, text })));
    assert.equal(t.reopen().logs.read(id).map((l) => l.text), texts);
  } finally {
    t.cleanup();
  }
});

test('bulk appends in 1,000-line batches keep every line, in order, with contiguous seqs', () => {
  // Throughput is measured by `npm run bench -- store-append`; here only the behaviour is checked.
  const t = openTempStore();
  try {
    const batch = 1000;
    const total = 200_000;
    const id = createRun(t.store, ['bulk']).jobIds[0]!;
    for (let b = 0; b < total / batch; b++) {
      const r = t.store.logs.append(id, Array.from({ length: batch }, (_, i) => ({ step: 1, stream: 'stdout' as const, ts: b * batch + i, text: `line ${b * batch + i + 1}` })));
      assert.equal(r, { first: b * batch + 1, last: (b + 1) * batch });
    }
    assert.is(t.store.logs.lastSeq(id), total);
    const sample = t.store.logs.read(id, { from: 123_456, limit: 3 });
    assert.equal(sample.map((l) => [l.seq, l.text]), [[123_456, 'line 123456'], [123_457, 'line 123457'], [123_458, 'line 123458']]);
  } finally {
    t.cleanup();
  }
});

test.run();
