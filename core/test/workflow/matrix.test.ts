import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandMatrix, MAX_MATRIX_JOBS } from '../../src/workflow/index.js';

const combos = (m: unknown) => {
  const r = expandMatrix(m);
  if (!r.ok) throw new Error(r.message);
  return r.combinations;
};

test('cartesian product, first vector varies slowest (GitHub docs order)', () => {
  assert.equal(combos({ version: [10, 12], os: ['ubuntu', 'windows'] }), [
    { version: 10, os: 'ubuntu' },
    { version: 10, os: 'windows' },
    { version: 12, os: 'ubuntu' },
    { version: 12, os: 'windows' },
  ]);
});

test('exclude removing every combination leaves none (the planner then runs the job once, as GitHub does); include adds back', () => {
  assert.equal(combos({ os: ['a', 'b'], exclude: [{ os: 'a' }, { os: 'b' }] }), []);
  assert.equal(combos({ os: ['a'], exclude: [{ os: 'a' }], include: [{ os: 'a', extra: 1 }] }), [{ os: 'a', extra: 1 }]);
});

test('include: the GitHub docs fruit/animal example', () => {
  assert.equal(
    combos({
      fruit: ['apple', 'pear'],
      animal: ['cat', 'dog'],
      include: [{ color: 'green' }, { color: 'pink', animal: 'cat' }, { fruit: 'apple', shape: 'circle' }, { fruit: 'banana' }, { fruit: 'banana', animal: 'cat' }],
    }),
    [
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ],
  );
});

test('include never overwrites an original value: it becomes a new combination', () => {
  assert.equal(combos({ os: ['linux'], include: [{ os: 'illumos', cc: 'gcc' }] }), [{ os: 'linux' }, { os: 'illumos', cc: 'gcc' }]);
});

test('exclude matches partially and runs before include', () => {
  assert.equal(
    combos({ os: ['a', 'b'], v: [1, 2], exclude: [{ os: 'b' }], include: [{ os: 'b', v: 9 }] }),
    [{ os: 'a', v: 1 }, { os: 'a', v: 2 }, { os: 'b', v: 9 }],
  );
});

test('object values compare deeply', () => {
  assert.equal(combos({ t: [{ a: 1 }, { a: 2 }], exclude: [{ t: { a: 2 } }] }), [{ t: { a: 1 } }]);
});

test(`more than ${MAX_MATRIX_JOBS} jobs is refused, exactly ${MAX_MATRIX_JOBS} is fine`, () => {
  const n = (k: number) => Array.from({ length: k }, (_, i) => i);
  assert.equal(combos({ a: n(16), b: n(16) }).length, 256);
  const r = expandMatrix({ a: n(16), b: n(16), include: [{ a: 99 }] });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.message.includes('257 jobs'));
  const huge = expandMatrix({ a: n(100), b: n(100), c: n(100) });
  assert.ok(!huge.ok && huge.message.includes('1000000 combinations'), 'a huge product is refused before it is built');
});

test('empty vectors and empty matrices are problems', () => {
  assert.equal(expandMatrix({ os: [] }).ok, false);
  assert.equal(expandMatrix({}).ok, false);
  assert.equal(expandMatrix({ os: 'linux' }).ok, false);
});

test.run();
