// Issue 19: the agent service masks log batches straight from their bytes (maskBytes). It must give
// exactly what decoding as UTF-8 and mask() give, for ASCII and non-ASCII text, with and without secrets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SecretMasker } from '@helios-ci/sdk';

const samples = [
  '',
  'plain ascii line\nand another',
  'token=s3cr3t-value here\nnot here\nagain s3cr3t-value and s3cr3t-value',
  'ünïcödé ✓ line with s3cr3t-value\nand 日本語',
  'multi: first-line-secret\nsecond-line-secret twice second-line-secret',
  'a partial s3cr3t-valu is not the secret',
  'ascii \u00e9 as latin1 would be wrong: \u00e9',
];

test('maskBytes(bytes) equals mask(bytes decoded as UTF-8), with secrets, without, ASCII or not', () => {
  const none = new SecretMasker();
  const some = new SecretMasker();
  some.add('s3cr3t-value');
  some.add('first-line-secret\nsecond-line-secret');
  for (const text of samples) {
    const bytes = Buffer.from(text, 'utf8');
    assert.is(none.maskBytes(bytes), text);
    assert.is(some.maskBytes(bytes), some.mask(text), text);
  }
  assert.not.match(some.maskBytes(Buffer.from(samples[2]!)), /s3cr3t-value/);
  // Invalid UTF-8 decodes as toString('utf8') does (replacement characters), not as Latin-1.
  const invalid = Buffer.from([0x61, 0xff, 0x62]);
  assert.is(some.maskBytes(invalid), invalid.toString('utf8'));
});

test.run();
