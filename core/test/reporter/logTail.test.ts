import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildLogTail, truncationMarker } from '../../src/reporter/logTail.js';
import type { LogLine } from '../../src/store/records.js';

const URL = 'https://ci.example.org/jobs/j1';

/** An in-memory log with the LogRepo.readBackward contract. */
function log(texts: string[]) {
  const lines: LogLine[] = texts.map((text, i) => ({ jobId: 'j1', seq: i + 1, step: 1, stream: 'stdout', ts: i, text }));
  return { last: lines.length, read: (before: number, limit: number) => lines.filter((l) => l.seq < before).reverse().slice(0, limit) };
}

test('a log that fits is returned whole, without a marker — also at exactly maxChars', () => {
  const l = log(['abc', 'de', 'f']);
  assert.is(buildLogTail(l.read, l.last, 100, URL), 'abc\nde\nf');
  assert.is(buildLogTail(l.read, l.last, 8, URL), 'abc\nde\nf'); // 8 chars exactly
  assert.is(buildLogTail(log([]).read, 0, 100, URL), '');
});

test('truncation is exact: within maxChars, and one more line would not fit', () => {
  const texts = Array.from({ length: 5000 }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 37)}`);
  const l = log(texts);
  for (const max of [200, 1000, 4096, 65_535]) {
    const out = buildLogTail(l.read, l.last, max, URL);
    assert.ok(out.length <= max, `${out.length} > ${max}`);
    const m = /^… (\d+) earlier lines not shown; full log: (\S+)\n/.exec(out);
    assert.ok(m, 'no truncation marker');
    assert.is(m![2], URL);
    const omitted = Number(m![1]);
    const body = out.slice(m![0].length);
    assert.equal(body.split('\n'), texts.slice(omitted), 'the tail is not the newest lines in order');
    // One more (older) line, with the marker it would need, exceeds the limit.
    const oneMore = truncationMarker(omitted - 1, URL) + [texts[omitted - 1], body].join('\n');
    assert.ok(oneMore.length > max, `line ${omitted} would still have fit at max ${max}`);
  }
});

test('a single line longer than the room keeps its end behind the marker, at exactly maxChars', () => {
  const l = log(['first', 'y'.repeat(10_000) + 'END']);
  const out = buildLogTail(l.read, l.last, 500, URL);
  assert.is(out.length, 500);
  assert.ok(out.startsWith(truncationMarker(1, URL)));
  assert.ok(out.endsWith('yyyEND'));
});

test('reads the log in chunks newest first (never the whole log for a tail)', () => {
  const texts = Array.from({ length: 100_000 }, (_, i) => `l${i}`);
  const l = log(texts);
  let requested = 0;
  const out = buildLogTail((b, n) => ((requested += n), l.read(b, n)), l.last, 1000, URL);
  assert.ok(out.endsWith('l99999'));
  assert.ok(requested <= 1024, `read ${requested} lines for a 1,000-char tail`);
});

test.run();
