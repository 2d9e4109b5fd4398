// The service's log batch decoding: in pieces cut at newlines, with exactly the text and lines (and
// masking) of decoding the whole batch at once.
import { SecretMasker } from '@helios-ci/sdk';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeLogLines, PIECE_BYTES } from '../../src/agent-service/logLines.js';

/** mulberry32: a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SECRETS = ['s3cret-value', 'pässwörd€', 'tok'];

function masker(values = SECRETS): SecretMasker {
  const m = new SecretMasker();
  for (const v of values) m.add(v);
  return m;
}

/** What decoding the whole batch gives: the reference the pieces must match. */
function whole(bytes: Buffer, lineCount: number, m: SecretMasker): { text: string; lines: string[] } {
  const text = m.mask(bytes.toString('utf8'));
  return { text, lines: lineCount === 0 ? [] : text.split('\n') };
}

const PARTS: Buffer[] = [
  Buffer.from('plain ascii '),
  Buffer.from('s3cret-value'),
  Buffer.from('pässwörd€'),
  Buffer.from('tok'),
  Buffer.from('€😀'),
  Buffer.from('\n'),
  Buffer.from('\n\n'),
  Buffer.from([0xe2, 0x82]), // a truncated € (invalid)
  Buffer.from([0xff, 0xfe]), // never valid UTF-8
  Buffer.from([0xf0, 0x9f, 0x98]), // a truncated emoji
  Buffer.from('\r\n'),
  Buffer.from('x'.repeat(40)),
];

test('pieces cut at newlines decode and mask exactly as the whole batch: secrets, multi-byte and invalid UTF-8 at every cut', () => {
  const next = rng(7);
  for (let trial = 0; trial < 3000; trial++) {
    const parts: Buffer[] = [];
    const n = 1 + Math.floor(next() * 30);
    for (let i = 0; i < n; i++) parts.push(PARTS[Math.floor(next() * PARTS.length)]!);
    const bytes = Buffer.concat(parts);
    const pieceBytes = 1 + Math.floor(next() * 24);
    const m = masker();
    const got = decodeLogLines(bytes, 1, m, pieceBytes);
    const want = whole(bytes, 1, m);
    assert.is(got.text, want.text, `text of ${bytes.toString('hex')} in ${pieceBytes}-byte pieces`);
    assert.equal(got.lines, want.lines, `lines of ${bytes.toString('hex')} in ${pieceBytes}-byte pieces`);
  }
});

test('a secret right after a piece boundary, and a line longer than a piece, at the real piece size', () => {
  const m = masker();
  const line = 'a'.repeat(99);
  const lines = Array.from({ length: 3000 }, (_, i) => (i % 700 === 0 ? `${'b'.repeat(PIECE_BYTES + 10)} s3cret-value` : i % 7 === 0 ? 's3cret-value tok' : line));
  // Lines that start exactly where a piece would be cut.
  const bytes = Buffer.from(lines.join('\n'));
  const got = decodeLogLines(bytes, lines.length, m);
  const want = whole(bytes, lines.length, m);
  assert.ok(bytes.length > 4 * PIECE_BYTES);
  assert.is(got.lines.length, lines.length);
  assert.equal(got.lines, want.lines);
  assert.is(got.text, want.text);
  assert.not.ok(got.text.includes('s3cret-value'));
  for (let cut = PIECE_BYTES - 8; cut <= PIECE_BYTES + 8; cut++) {
    const head = 'h'.repeat(cut);
    const b = Buffer.from(`${head}\ns3cret-value\n${'t'.repeat(PIECE_BYTES)}\ntok`);
    assert.equal(decodeLogLines(b, 4, m).lines, [head, '***', 't'.repeat(PIECE_BYTES), '***'], `cut at ${cut}`);
  }
});

test('an empty batch has no lines; one empty line is one line', () => {
  const m = masker();
  assert.equal(decodeLogLines(Buffer.alloc(0), 0, m), { text: '', lines: [] });
  assert.equal(decodeLogLines(Buffer.alloc(0), 1, m), { text: '', lines: [''] });
});

test.run();
