import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkStorageId, checkStorageName, isHeliosError, STORAGE_NAME_MAX } from '../src/index.js';

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isHeliosError(err));
    assert.is(err.code, 'E_STORAGE_NAME_INVALID');
    return err.message;
  }
  assert.unreachable('accepted');
  return '';
}

test('job ids and image names: UUIDs, dotted and dashed names pass; 128 characters is the longest', () => {
  for (const ok of ['ubuntu-24.04', '3f1c2a9e-8d7b-4c1e-9f0a-1b2c3d4e5f60', 'a', 'A_b.c-d', 'x'.repeat(STORAGE_NAME_MAX)]) assert.is(checkStorageName('job id', ok), ok);
});

test('job ids and image names: shell metacharacters, paths, leading dot or dash, .., empty and long names are refused', () => {
  for (const bad of ['', '..', 'a..b', '../x', 'a/b', '-rf', '.x', 'a b', 'a;b', '$(id)', '`id`', 'a\nb', 'é', 'x'.repeat(STORAGE_NAME_MAX + 1), 42, null]) {
    refused(() => checkStorageName('job id', bad));
  }
});

test('the refusal names what was refused and keeps a 300-character value short', () => {
  const message = refused(() => checkStorageName('image name', 'y'.repeat(300)));
  assert.match(message, /^image name "y{40}"\.\.\. \(300 characters\) is refused/);
  assert.ok(message.length < 300);
});

test('ids: relative paths of names pass; .., empty segments, leading / or - and metacharacters are refused', () => {
  for (const ok of ['jobs/abc-image', 'blobs/cache/0123.abcd', 'warm/x', 'pool/ci/warm/h1']) assert.is(checkStorageId('id', ok), ok);
  for (const bad of ['', '/etc/passwd', 'a/../b', '..', 'a//b', 'a/', '-x', 'a b', 'a@b', 'a;b', 'x'.repeat(513)]) refused(() => checkStorageId('id', bad));
});

test.run();
