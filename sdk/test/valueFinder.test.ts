import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SecretMasker } from '../src/secretMasker.js';
import { ValueFinder } from '../src/valueFinder.js';

const naive = (values: string[], text: string): boolean => values.some((v) => text.includes(v));

/** A deterministic generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('finds each value at the start, the end, in the middle and overlapping another; bytes and text agree', () => {
  const values = ['tok-123', 'abc', 'xyzzy-very-long-secret-value', 'é€ß-secret'];
  const f = new ValueFinder(values);
  const cases: [string, boolean][] = [
    ['', false],
    ['ab', false],
    ['abc', true],
    ['xxabc', true],
    ['abcxx', true],
    ['tok-12', false],
    ['tok-12tok-123', true],
    ['line\nxyzzy-very-long-secret-valu\nxyzzy-very-long-secret-value', true],
    ['é€ß-secre', false],
    ['…é€ß-secret…', true],
    ['ab\nc', false],
  ];
  for (const [text, want] of cases) {
    assert.is(f.inText(text), want, `text ${JSON.stringify(text)}`);
    assert.is(f.inBytes(Buffer.from(text, 'utf8')), want, `bytes ${JSON.stringify(text)}`);
  }
});

test('never misses: random texts over a small alphabet agree with a naive search', () => {
  const next = rng(19);
  const alphabet = 'ab-c\né';
  const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  for (let round = 0; round < 300; round++) {
    const values = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(3 + Math.floor(next() * 6)).replace(/\n/g, 'x'));
    const f = new ValueFinder(values);
    for (let i = 0; i < 20; i++) {
      const text = pick(Math.floor(next() * 200));
      const want = naive(values, text);
      assert.is(f.inText(text), want, `values ${JSON.stringify(values)} text ${JSON.stringify(text)}`);
      assert.is(f.inBytes(Buffer.from(text, 'utf8')), want, `bytes: values ${JSON.stringify(values)} text ${JSON.stringify(text)}`);
    }
  }
});

test('a subarray of a larger buffer is searched within its own bounds', () => {
  const f = new ValueFinder(['secret']);
  const big = Buffer.from('secret|plain text here|secret');
  assert.is(f.inBytes(big.subarray(7, 22)), false);
  assert.is(f.inBytes(big.subarray(0, 6)), true);
});

test('the masker masks through the finder: every value, longest first, multi-line values line by line', () => {
  const m = new SecretMasker();
  m.add('token-abc');
  m.add('token-abc-longer');
  m.add('first-line\nsecond-line');
  assert.is(m.mask('a token-abc-longer and token-abc\nfirst-line / second-line'), 'a *** and ***\n*** / ***');
  assert.is(m.mask('nothing to hide'), 'nothing to hide');
  assert.ok(m.needsWorkBytes(Buffer.from('x second-line y')));
  assert.ok(m.needsWorkBytes(Buffer.from('::group::x')));
  assert.ok(m.needsWork('a\r\n'));
  assert.not.ok(m.needsWorkBytes(Buffer.from('plain\noutput\n')));
});

test('maskUtf8 is mask(decoded text): decided on the bytes, also with invalid UTF-8 and values a decoder can make', () => {
  const next = rng(11);
  const pieces = [Buffer.from('tok-1'), Buffer.from('é€-x'), Buffer.from('\uFFFDab'), Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from('plain '), Buffer.from('\n')];
  const valueSets = [['tok-1', 'é€-x'], ['\uFFFDab'], ['\uD800ab'], ['x\uFFFD']];
  for (const values of valueSets) {
    const m = new SecretMasker();
    for (const v of values) m.add(v);
    for (let trial = 0; trial < 500; trial++) {
      const bytes = Buffer.concat(Array.from({ length: 1 + Math.floor(next() * 12) }, () => pieces[Math.floor(next() * pieces.length)]!));
      assert.is(m.maskUtf8(bytes), m.mask(bytes.toString('utf8')), `${JSON.stringify(values)} in ${bytes.toString('hex')}`);
    }
  }
  // An invalid byte decodes to U+FFFD: a value holding U+FFFD is found in the text, not in the bytes.
  const m = new SecretMasker();
  m.add('\uFFFDab');
  assert.is(m.maskUtf8(Buffer.from([0xff, 0x61, 0x62])), '***');
});

test('values longer than the largest stored shift (255) are found wherever they start, and missed when one unit differs', () => {
  const next = rng(5);
  const alphabet = 'abcdefgh-é€';
  const word = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  for (const len of [256, 300, 1000]) {
    const value = word(len);
    const f = new ValueFinder([value]);
    for (let trial = 0; trial < 40; trial++) {
      const before = word(Math.floor(next() * 700));
      const after = word(Math.floor(next() * 50));
      const text = before + value + after;
      assert.ok(f.inText(text), `text, ${len} at ${before.length}`);
      assert.ok(f.inBytes(Buffer.from(text)), `bytes, ${len} at ${before.length}`);
      const i = Math.floor(next() * len);
      const broken = before + value.slice(0, i) + (value[i] === 'a' ? 'b' : 'a') + value.slice(i + 1) + after;
      assert.is(f.inText(broken), naive([value], broken));
      assert.is(f.inBytes(Buffer.from(broken)), naive([value], broken));
    }
  }
});

test.run();
