import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeLogBytes } from '../../src/agent-service/decodeLogBytes.js';

test('ASCII, UTF-8 (2-, 3- and 4-byte sequences), invalid and cut sequences, control bytes and empty batches decode as toString("utf8") does', () => {
  const cases = [
    Buffer.from('plain ascii line\nanother\r\n\ttabbed\x1b[31mred\x1b[0m\n'),
    Buffer.from('café — ✔ 日本語 🚀\n'),
    Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x0a]),
    Buffer.from('ends in the middle of ✔').subarray(0, -1),
    Buffer.from([0x00, 0x7f, 0x80]),
    Buffer.alloc(0),
  ];
  for (const bytes of cases) assert.is(decodeLogBytes(bytes), bytes.toString('utf8'), JSON.stringify([...bytes]));
});

test('random bytes and random ASCII decode as toString("utf8") does', () => {
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(1 + (i % 64) * 37);
    assert.is(decodeLogBytes(bytes), bytes.toString('utf8'));
    const ascii = Buffer.from(bytes.map((b) => b & 0x7f));
    assert.is(decodeLogBytes(ascii), ascii.toString('utf8'));
  }
});

test('a batch that is a slice of a larger frame decodes only its own bytes', () => {
  const frame = Buffer.from('header✔|line one\nline two\n|trailer');
  const start = frame.indexOf('|') + 1;
  const batch = frame.subarray(start, frame.lastIndexOf('|'));
  assert.is(decodeLogBytes(batch), 'line one\nline two\n');
});

test.run();
