import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hmacSha256Hex, ownerAllowed, permissionFromRole, verifyHmacSha256, webhookHeader } from '@helios-ci/sdk';

import { pathToFileURL } from 'node:url';

// sdk/dist/test/ → the repository's parent holds shared/ (HELIOS_SHARED_DIR overrides, as in the forge tests).
const FIXTURES = process.env.HELIOS_SHARED_DIR ? pathToFileURL(`${process.env.HELIOS_SHARED_DIR}/fixtures/`) : new URL('../../../../shared/fixtures/', import.meta.url);

test('webhookHeader: any case of the name, either case of the key; first of a repeated header', () => {
  const headers = { 'x-github-event': 'push', 'X-Forgejo-Delivery': 'abc', 'x-multi': ['one', 'two'], 'x-empty': '' };
  assert.is(webhookHeader(headers, 'X-GitHub-Event'), 'push');
  assert.is(webhookHeader(headers, 'x-forgejo-delivery'), 'abc');
  assert.is(webhookHeader(headers, 'X-FORGEJO-DELIVERY'), 'abc');
  assert.is(webhookHeader(headers, 'x-multi'), 'one');
  assert.is(webhookHeader(headers, 'x-empty'), '');
  assert.is(webhookHeader(headers, 'x-missing'), undefined);
});

test('verifyHmacSha256: the recorded Forgejo deliveries verify over their exact bytes (no prefix)', () => {
  const file = JSON.parse(readFileSync(new URL('forgejo/deliveries.json', FIXTURES), 'utf8')) as { secret: string; deliveries: Record<string, { headers: Record<string, string> }> };
  const names = Object.keys(file.deliveries);
  assert.ok(names.length > 0);
  for (const name of names) {
    const raw = readFileSync(new URL(`forgejo/${name}`, FIXTURES));
    const sig = webhookHeader(file.deliveries[name]!.headers, 'x-forgejo-signature');
    assert.ok(sig, `${name} has a signature`);
    assert.ok(verifyHmacSha256(file.secret, raw, sig), name);
    assert.ok(verifyHmacSha256(file.secret, raw, `sha256=${sig}`), `${name} with sha256= prefix`);
    assert.ok(verifyHmacSha256(file.secret, raw, sig, { prefix: 'absent' }), `${name}, prefix absent`);
    assert.not.ok(verifyHmacSha256(file.secret, raw, `sha256=${sig}`, { prefix: 'absent' }), `${name}: a prefix where the forge sends none`);
    assert.not.ok(verifyHmacSha256(file.secret, raw, sig, { prefix: 'required' }), `${name}: no prefix where the forge sends one`);
    assert.not.ok(verifyHmacSha256('another-secret', raw, sig), `${name} under another secret`);
    const changed = Buffer.concat([raw, Buffer.from(' ')]);
    assert.not.ok(verifyHmacSha256(file.secret, changed, sig), `${name} with one byte more`);
  }
});

test('verifyHmacSha256: GitHub form (sha256= prefix), upper-case hex; malformed and missing signatures fail', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  const hex = createHmac('sha256', 's3cret').update(body).digest('hex');
  assert.is(hmacSha256Hex('s3cret', body), hex);
  assert.ok(verifyHmacSha256('s3cret', body, `sha256=${hex}`));
  assert.ok(verifyHmacSha256('s3cret', body, hex.toUpperCase()));
  assert.ok(verifyHmacSha256('s3cret', body.toString(), ` sha256=${hex} `), 'surrounding blanks are trimmed; a string body is its UTF-8 bytes');
  for (const bad of [undefined, '', 'sha256=', hex.slice(0, 63), `${hex}00`, `sha1=${hex}`, 'z'.repeat(64), `sha256=${'0'.repeat(64)}`]) {
    assert.not.ok(verifyHmacSha256('s3cret', body, bad), JSON.stringify(bad));
  }
});

test('ownerAllowed: no list lets everyone in; a list matches owners case-insensitively and nothing else', () => {
  assert.ok(ownerAllowed(undefined, 'anyone'));
  assert.ok(ownerAllowed(null, 'anyone'));
  assert.ok(ownerAllowed(['Acme', 'octo-org'], 'acme'));
  assert.ok(ownerAllowed(['acme'], 'ACME'));
  assert.not.ok(ownerAllowed(['acme'], 'acme-evil'));
  assert.not.ok(ownerAllowed(['acme'], 'acm'));
  assert.not.ok(ownerAllowed([], 'acme'), 'an empty list admits nobody');
});

test('permissionFromRole: GitHub and Forgejo role names map to four levels; unknown means none', () => {
  const cases: [string | undefined | null, string][] = [
    ['admin', 'admin'], ['maintain', 'admin'], ['owner', 'admin'], ['Admin', 'admin'],
    ['write', 'write'], ['push', 'write'],
    ['triage', 'read'], ['read', 'read'], ['pull', 'read'],
    ['none', 'none'], ['custom-role', 'none'], ['', 'none'], [undefined, 'none'], [null, 'none'],
  ];
  for (const [role, want] of cases) assert.is(permissionFromRole(role), want, String(role));
});

test.run();
