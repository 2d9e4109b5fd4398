// Names are checked before any command runs: a fake zfs records every argv it gets, so a refused
// name must leave the record empty, and an accepted one must show up in it as one argv element.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type BlobKind } from '@helios-ci/sdk';
import { ZfsStorage } from '../src/zfsStorage.js';
import { groupSlug, parseId } from '../src/layout.js';
import { classifyZfsMessage } from '../src/zfsCli.js';
import { recordingZfs } from './fakeZfs.js';

const NASTY = ['a;rm -rf /', '$(touch /tmp/pwned)', '`id`', 'a b', '../etc', 'a/../b', '-o', '', 'x\nfoo', 'a|b', "a'b", 'a"b', 'a&b', 'a>b', '..', '.hidden', 'ü'];

async function refused(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
    return err.code;
  }
  assert.unreachable('expected the call to be refused');
  return '';
}

/** An id built from a nasty name: refused as malformed, or well-formed but unknown (null, no-op); never run. */
async function refusedOrUnknown(fn: () => Promise<unknown>): Promise<void> {
  try {
    const result = await fn();
    assert.ok(result === null || result === undefined, `expected null or nothing, got ${String(result)}`);
  } catch (err) {
    assert.ok(isHeliosError(err) && err.code === 'E_STORAGE_NAME_INVALID', String(err));
  }
}

async function* bytes(): AsyncIterable<Uint8Array> {
  yield Buffer.from('hello');
}

test('names with shell metacharacters, "..", spaces or options are refused before any zfs command', async () => {
  const fake = recordingZfs();
  try {
    const s = new ZfsStorage({ id: 'zfs', parent: 'tank/ci', zfsCommand: fake.command, zpoolCommand: fake.command });
    for (const bad of NASTY) {
      assert.is(await refused(() => s.cloneImage(bad, 'job1')), 'E_STORAGE_NAME_INVALID', `image ${JSON.stringify(bad)}`);
      assert.is(await refused(() => s.cloneImage('ubuntu', bad)), 'E_STORAGE_NAME_INVALID', `job ${JSON.stringify(bad)}`);
      assert.is(await refused(() => s.openWarm(null, bad)), 'E_STORAGE_NAME_INVALID', `warm job ${JSON.stringify(bad)}`);
      assert.is(await refused(() => s.writeBlob('cache', bytes(), { jobId: bad, group: 'github/acme/widget' })), 'E_STORAGE_NAME_INVALID');
      // A repository may be called `.github`; every other nasty name is refused as a group part too.
      if (bad !== '.hidden') assert.is(await refused(() => s.writeBlob('artifact', bytes(), { jobId: 'job1', group: `github/${bad}/x` })), 'E_STORAGE_NAME_INVALID', `group ${JSON.stringify(bad)}`);
      await refusedOrUnknown(() => s.readBlob(`caches/${bad}/x`));
      await refusedOrUnknown(() => s.remove({ id: `uploads/${bad}`, kind: 'upload' }));
      await refusedOrUnknown(() => s.release({ id: `jobs/${bad}-image`, kind: 'image-clone', location: '/x', jobId: 'j' }));
    }
    assert.is(await refused(() => s.writeBlob('tarball' as BlobKind, bytes(), { jobId: 'job1', group: 'github/acme/widget' })), 'E_STORAGE_NAME_INVALID');
    await s.remove({ id: 'warm/abc', kind: 'cache' }); // an id of another kind than said: not touched
    assert.is(await refused(() => s.commitWarm({ id: 'jobs/j1-image', kind: 'image-clone', location: '/x', jobId: 'j1' })), 'E_STORAGE_NAME_INVALID');
    assert.equal(fake.calls(), [], 'no command may run for a refused name');

    // The recorder works: an accepted name reaches zfs, as one argv element, never re-split.
    assert.is(await refused(() => s.cloneImage('ubuntu-24.04', 'job_1.a')), 'E_STORAGE_IMAGE_NOT_FOUND');
    const calls = fake.calls();
    assert.ok(calls.length >= 1);
    assert.equal(calls[0], ['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation', '-d', '1', 'tank/ci/images/ubuntu-24.04']);
  } finally {
    fake.cleanup();
  }
});

test('a bad parent or configured image snapshot is refused when the storage is made', () => {
  for (const parent of ['', '/tank', 'tank/../x', 'tank/ci;x', 'tank//ci', '1tank']) {
    assert.throws(() => new ZfsStorage({ id: 'zfs', parent }), (e: unknown) => isHeliosError(e) && e.code === 'E_STORAGE_NAME_INVALID', parent);
  }
  assert.throws(() => new ZfsStorage({ id: 'zfs', parent: 'tank/ci', images: { ubuntu: { snapshot: 'a b' } } }), (e: unknown) => isHeliosError(e) && e.code === 'E_STORAGE_NAME_INVALID');
});

test('repository groups get distinct, dataset-safe slugs', () => {
  const groups = ['github/acme/widget', 'github/acme-widget', 'github/acme/widget.js', 'forgejo/acme/widget', 'github/Acme/widget'];
  const slugs = groups.map(groupSlug);
  assert.is(new Set(slugs).size, groups.length);
  for (const s of slugs) assert.match(s, /^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
  assert.is(groupSlug('github/acme/widget'), groupSlug('github/acme/widget'), 'stable');
  for (const bad of ['github/../x', 'github/./x', '/abs', 'a//b', 'a/b/', 'x'.repeat(300)]) {
    assert.throws(() => groupSlug(bad), (e: unknown) => isHeliosError(e) && e.code === 'E_STORAGE_NAME_INVALID', bad);
  }
});

test('ids are read back to their kind; anything else is refused', () => {
  assert.equal(parseId('jobs/j1-image'), { area: 'jobs', kind: 'image-clone', job: 'j1', name: 'j1-image' });
  assert.equal(parseId('jobs/a-warm-warm'), { area: 'jobs', kind: 'warm', job: 'a-warm', name: 'a-warm-warm' });
  assert.equal(parseId('caches/s1/x'), { area: 'caches', kind: 'cache', slug: 's1', name: 'x' });
  // Well-formed but not a shape this backend makes: unknown.
  for (const foreign of ['images/ubuntu', 'jobs/j1', 'caches/x', 'warm/a/b', 'cache/abc', 'no-such-blob', 'jobs/-x-image', 'warm/.x']) assert.is(parseId(foreign), null, foreign);
  for (const bad of ['jobs/../x-image', '/warm/a', 'warm/', 'uploads/a b', '', '..', 'a;b', 'a//b', 'x'.repeat(600)]) {
    assert.throws(() => parseId(bad), (e: unknown) => isHeliosError(e) && e.code === 'E_STORAGE_NAME_INVALID', bad);
  }
});

test('zfs messages are recognised', () => {
  assert.is(classifyZfsMessage("cannot open 'p/x': dataset does not exist"), 'not-found');
  assert.is(classifyZfsMessage("cannot destroy 'p/x': dataset is busy"), 'busy');
  assert.is(classifyZfsMessage("cannot create 'p/x': dataset already exists"), 'exists');
  assert.is(classifyZfsMessage("cannot rename 'p/x': out of space"), 'no-space');
  assert.is(classifyZfsMessage("cannot destroy 'p/x@s': snapshot has dependent clones\nuse '-R' to destroy"), 'has-dependents');
  assert.is(classifyZfsMessage('connect: No such file or directory\nPlease make sure that the zfs-fuse daemon is running.\ninternal error: failed to initialize ZFS library'), 'daemon-down');
  assert.is(classifyZfsMessage('something new'), 'other');
});

test.run();
