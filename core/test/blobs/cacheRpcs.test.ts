/** actions/cache through the real agent service over gRPC, with the index in a real store. */
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobHarness, defaultSettings, eventually } from '../helpers/blobHarness.js';
import { probedStorage, type ProbedStorage, type StorageFlavour } from '../helpers/probedStorage.js';

for (const flavour of ['storage-dir', 'memory'] as StorageFlavour[]) cacheSuite(flavour);

function cacheSuite(flavour: StorageFlavour): void {
const test = suite(`cache RPCs on ${flavour}`);
let storage: ProbedStorage;
let h: BlobHarness;

test.before.each(async () => {
  storage = probedStorage(flavour);
  h = await new BlobHarness(storage, defaultSettings({ caches: { maxEntryBytes: 1024 * 1024 } })).start();
});
test.after.each(async () => {
  await h.stop();
  storage.dispose();
});

const grpcError = async (p: Promise<unknown>): Promise<grpc.ServiceError> => {
  try {
    await p;
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
};

test('a miss, then a save, then an exact hit with the same bytes', async () => {
  const { token } = h.job();
  const miss = await h.restore(token, ['npm-linux-abc']);
  assert.is(miss.header.found, false);
  const saved = await h.saveCache(token, 'npm-linux-abc', 'node_modules archive');
  assert.equal(saved, { size: 20, stored: true, reason: '' });
  const next = h.job();
  const hit = await h.restore(next.token, ['npm-linux-abc', 'npm-linux-']);
  assert.equal(hit.header, { found: true, name: 'npm-linux-abc', size: 20, exact: true });
  assert.is(hit.data.toString(), 'node_modules archive');
});

test('restore keys match as prefixes, newest first; the primary key as a prefix comes before them', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'npm-linux-old', 'old');
  h.clock.advance(60_000);
  await h.saveCache(token, 'npm-linux-new', 'new');
  h.clock.advance(60_000);
  await h.saveCache(token, 'npm-other', 'other');
  const reader = h.job();
  const byRestoreKey = await h.restore(reader.token, ['npm-linux-xyz', 'npm-linux-', 'npm-']);
  assert.equal(byRestoreKey.header, { found: true, name: 'npm-linux-new', size: 3, exact: false });
  assert.is(byRestoreKey.data.toString(), 'new');
  // The primary key as a prefix: "npm-linux" matches before the restore key "npm-" (whose newest is npm-other).
  const byPrimaryPrefix = await h.restore(reader.token, ['npm-linux', 'npm-']);
  assert.is(byPrimaryPrefix.header.name, 'npm-linux-new');
  assert.is(byPrimaryPrefix.header.exact, false);
  // Blank restore keys are ignored, as actions/cache ignores blank lines of restore-keys.
  assert.is((await h.restore(reader.token, ['npm-linux-xyz', '', 'npm-linux-'])).header.name, 'npm-linux-new');
  const none = await h.restore(reader.token, ['yarn-', 'pnpm-']);
  assert.is(none.header.found, false);
});

test('only the same version matches', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'k', 'linux', 'version-linux');
  assert.is((await h.restore(token, ['k'], 'version-windows')).header.found, false);
  assert.is((await h.restore(token, ['k'], 'version-linux')).header.found, true);
  // The same key with another version is another entry.
  assert.is((await h.saveCache(token, 'k', 'windows', 'version-windows')).stored, true);
  assert.is((await h.restore(token, ['k'], 'version-windows')).data.toString(), 'windows');
});

test('lookup-only answers the header and sends no bytes', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'deps-1', 'x'.repeat(5000));
  const answer = await h.restore(token, ['deps-2', 'deps-'], 'v1', true);
  assert.equal(answer.header, { found: true, name: 'deps-1', size: 5000, exact: false });
  assert.is(answer.data.length, 0);
});

test('a restore marks the entry used (LRU eviction goes by it)', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'k', 'x');
  const before = h.store.caches.list()[0]!.lastUsedAt;
  h.clock.advance(3_600_000);
  await h.restore(token, ['k']);
  assert.is(h.store.caches.list()[0]!.lastUsedAt, before + 3_600_000);
});

test('an entry is immutable: the same key again keeps the first, discards the upload, says why', async () => {
  const { token } = h.job();
  await h.saveCache(token, 'build-cache', 'first');
  const again = await h.saveCache(h.job().token, 'build-cache', 'second, longer');
  assert.is(again.stored, false);
  assert.is(again.size, 14);
  assert.match(again.reason, /already exists in refs\/heads\/main; cache entries are immutable/);
  assert.is((await h.restore(token, ['build-cache'])).data.toString(), 'first');
  assert.is(storage.writes, 1, 'the second upload was drained, never written');
  assert.is(h.store.caches.list().length, 1);
});

test('scopes: a pull request reads its own, its base branch and the default branch; its saves stay in refs/pull/N/merge', async () => {
  const main = h.job({ ref: 'refs/heads/main' });
  await h.saveCache(main.token, 'from-main', 'm');
  const release = h.job({ ref: 'refs/heads/release' });
  await h.saveCache(release.token, 'from-release', 'r');
  const pr = h.job({ event: 'pull_request', ref: 'refs/heads/release', number: 7, headRef: 'refs/heads/feature' });
  assert.is((await h.restore(pr.token, ['from-main'])).header.found, true, 'default branch');
  assert.is((await h.restore(pr.token, ['from-release'])).header.found, true, 'base branch');
  await h.saveCache(pr.token, 'from-pr', 'p');
  assert.equal(h.store.caches.list().find((e) => e.key === 'from-pr')!.scope, 'refs/pull/7/merge');
  assert.is((await h.restore(pr.token, ['from-pr'])).header.found, true, 'its own scope');
  assert.is((await h.restore(h.job({ ref: 'refs/heads/main' }).token, ['from-pr'])).header.found, false, 'main does not see the PR');
  assert.is((await h.restore(h.job({ ref: 'refs/heads/feature' }).token, ['from-pr'])).header.found, false, 'nor does a push to the head branch');
  assert.is((await h.restore(h.job({ event: 'pull_request', ref: 'refs/heads/release', number: 8 }).token, ['from-pr'])).header.found, false, 'nor another PR');
  // A branch that is neither the base nor the default does not leak into the PR.
  const other = h.job({ ref: 'refs/heads/other' });
  await h.saveCache(other.token, 'from-other', 'o');
  assert.is((await h.restore(pr.token, ['from-other'])).header.found, false);
  // The own scope wins over the base branch for the same key.
  await h.saveCache(h.job({ ref: 'refs/heads/release' }).token, 'shared', 'release');
  await h.saveCache(pr.token, 'shared', 'pr');
  assert.is((await h.restore(pr.token, ['shared'])).data.toString(), 'pr');
});

test('a fork pull request (untrusted) writes entries no trusted run ever reads, and still reads the trusted ones', async () => {
  const main = h.job({ ref: 'refs/heads/main' });
  await h.saveCache(main.token, 'deps-trusted', 'good');
  const fork = h.job({ event: 'pull_request', ref: 'refs/heads/main', number: 9, trusted: false });
  assert.is((await h.restore(fork.token, ['deps-trusted'])).data.toString(), 'good', 'reads the base branch');
  assert.is((await h.saveCache(fork.token, 'deps-poison', 'evil')).stored, true);
  const row = h.store.caches.list().find((e) => e.key === 'deps-poison')!;
  assert.is(row.trusted, false);
  assert.is((await h.restore(fork.token, ['deps-poison'])).data.toString(), 'evil', 'its own entry');
  // A trusted run of the very same scope (and main) never sees it, by exact key or prefix.
  const trustedSameScope = h.job({ event: 'pull_request', ref: 'refs/heads/main', number: 9, trusted: true });
  assert.is((await h.restore(trustedSameScope.token, ['deps-poison', 'deps-'])).data.toString(), 'good');
  assert.is((await h.restore(h.job().token, ['deps-poison'])).header.found, false);
  // A trusted save of the same key in that scope is its own entry, not blocked by the untrusted one.
  assert.is((await h.saveCache(trustedSameScope.token, 'deps-poison', 'trusted')).stored, true);
  assert.is((await h.restore(trustedSameScope.token, ['deps-poison'])).data.toString(), 'trusted');
});

test('bad keys are refused with actions/cache messages and nothing is stored', async () => {
  const { token } = h.job();
  const long = await grpcError(h.saveCache(token, 'k'.repeat(600), 'x'));
  assert.is(long.code, grpc.status.INVALID_ARGUMENT);
  assert.match(long.details, /E_CACHE_KEY_INVALID: Key Validation Error: k+ cannot be larger than 512 characters\./);
  const comma = await grpcError(h.saveCache(token, 'a,b', 'x'));
  assert.is(comma.code, grpc.status.INVALID_ARGUMENT);
  assert.match(comma.details, /Key Validation Error: a,b cannot contain commas\./);
  const longRestoreKey = await grpcError(h.restore(token, ['ok', 'r'.repeat(513)]));
  assert.match(longRestoreKey.details, /cannot be larger than 512 characters/);
  const tooMany = await grpcError(h.restore(token, Array.from({ length: 11 }, (_, i) => `k${i}`)));
  assert.match(tooMany.details, /Keys are limited to a maximum of 10\./);
  const noVersion = await grpcError(h.saveCache(token, 'k', 'x', ''));
  assert.match(noVersion.details, /E_CACHE_VERSION_INVALID/);
  assert.is(storage.writes, 0);
  assert.is(h.store.caches.list().length, 0);
  // 512 characters exactly is fine.
  assert.is((await h.saveCache(token, 'k'.repeat(512), 'x')).stored, true);
});

test('keys with "/", ".." and shell metacharacters are plain keys: stored and restored harmlessly', async () => {
  const { token } = h.job();
  const keys = ['../../../etc/passwd', 'a/b/../c', '$(rm -rf /); `id` | & > x', 'ünïcødé/🚀'];
  for (const [i, key] of keys.entries()) assert.is((await h.saveCache(token, key, `v${i}`)).stored, true, key);
  for (const [i, key] of keys.entries()) {
    const got = await h.restore(token, [key]);
    assert.equal(got.header, { found: true, name: key, size: 2, exact: true });
    assert.is(got.data.toString(), `v${i}`);
  }
  for (const id of await storage.blobs()) assert.not.match(id, /passwd|\.\.|rm -rf|ü/, 'blob ids are the backend\'s, never made of the key');
  assert.is((await h.restore(token, ['../../'])).header.name, '../../../etc/passwd');
});

test('a cut-off upload (the agent cancels mid-stream) commits nothing', async () => {
  const { token } = h.job();
  // Cancelled at once (often before the server read the header), and after the server started writing.
  for (const cancelDelayMs of [0, 0, 20, 50]) {
    const err = await grpcError(h.upload('UploadCache', { jobToken: token, name: 'half', version: 'v1' }, [Buffer.alloc(1000, 1), Buffer.alloc(1000, 2)], { cancelAfter: 2, cancelDelayMs }));
    assert.is(err.code, grpc.status.CANCELLED);
  }
  await eventually('the server to drop the uploads', async () => (await storage.uploads()) === 0);
  assert.ok(storage.writes >= 2, 'the delayed cancels reached the Storage write');
  // A complete upload afterwards is the only thing stored.
  await h.saveCache(token, 'whole', 'complete');
  assert.is((await storage.blobs()).length, 1);
  assert.equal(h.store.caches.list().map((e) => e.key), ['whole']);
  assert.is((await h.restore(token, ['half'])).header.found, false);
});

test('an upload over limits.maxCacheEntryBytes is refused mid-stream and nothing is kept', async () => {
  const { token } = h.job();
  const chunks = Array.from({ length: 5 }, () => Buffer.alloc(300 * 1024, 7));
  const err = await grpcError(h.upload('UploadCache', { jobToken: token, name: 'huge', version: 'v1' }, chunks));
  assert.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(err.details, /E_CACHE_TOO_LARGE: cache entry huge is over 1\.0 MiB \(limits\.maxCacheEntryBytes\)/);
  assert.is((await storage.blobs()).length, 0);
  assert.is(h.store.caches.list().length, 0);
});

test('a 0-byte entry and a multi-megabyte one round-trip', async () => {
  const { token } = h.job();
  assert.equal(await h.saveCache(token, 'empty', Buffer.alloc(0)), { size: 0, stored: true, reason: '' });
  const empty = await h.restore(token, ['empty']);
  assert.equal(empty.header, { found: true, name: 'empty', size: 0, exact: true });
  const big = Buffer.alloc(900 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
  await h.upload('UploadCache', { jobToken: token, name: 'big', version: 'v1' }, [big.subarray(0, 400_000), big.subarray(400_000)]);
  assert.ok((await h.restore(token, ['big'])).data.equals(big));
});

test('without a Storage every cache and artifact RPC is UNIMPLEMENTED with the fix', async () => {
  const bare = await new BlobHarness(storage, defaultSettings(), false).start();
  try {
    const { token } = bare.job();
    for (const p of [bare.saveCache(token, 'k', 'x'), bare.restore(token, ['k']), bare.uploadArtifact(token, 'a', 'x'), bare.downloadArtifact(token, 'a'), bare.listArtifacts(token)]) {
      const err = await grpcError(p);
      assert.is(err.code, grpc.status.UNIMPLEMENTED);
      assert.match(err.details, /configure a Storage plugin/);
    }
  } finally {
    await bare.stop();
  }
});

test('a wrong token is UNAUTHENTICATED before anything is read', async () => {
  const err = await grpcError(h.saveCache('not-a-token', 'k', 'x'));
  assert.is(err.code, grpc.status.UNAUTHENTICATED);
  const err2 = await grpcError(h.restore('not-a-token', ['k']));
  assert.is(err2.code, grpc.status.UNAUTHENTICATED);
  assert.is(storage.writes, 0);
});

test.run();
}
