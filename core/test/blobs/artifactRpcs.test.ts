/** Artifacts through the real agent service over gRPC, with the index in a real store. */
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BlobHarness, defaultSettings } from '../helpers/blobHarness.js';
import { probedStorage, type ProbedStorage, type StorageFlavour } from '../helpers/probedStorage.js';

const DAY = 86_400_000;
for (const flavour of ['storage-dir', 'memory'] as StorageFlavour[]) artifactSuite(flavour);

function artifactSuite(flavour: StorageFlavour): void {
const test = suite(`artifact RPCs on ${flavour}`);
let storage: ProbedStorage;
let h: BlobHarness;

test.before.each(async () => {
  storage = probedStorage(flavour);
  h = await new BlobHarness(storage, defaultSettings({ artifacts: { maxBytes: 64 * 1024, retentionDays: 30, maxRetentionDays: 60 } })).start();
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

test('jobs of one run see each other\'s artifacts; another run does not', async () => {
  const producer = h.job();
  assert.equal(await h.uploadArtifact(producer.token, 'dist-linux', 'PK zip bytes'), { size: 12, stored: true, reason: '' });
  await h.uploadArtifact(producer.token, 'coverage report', 'PK more');
  const consumer = h.sibling(producer.run);
  assert.equal(await h.listArtifacts(consumer.token), [
    { name: 'coverage report', size: 7 },
    { name: 'dist-linux', size: 12 },
  ]);
  const got = await h.downloadArtifact(consumer.token, 'dist-linux');
  assert.equal(got.header, { found: true, name: 'dist-linux', size: 12, exact: true });
  assert.is(got.data.toString(), 'PK zip bytes');
  const stranger = h.job();
  assert.equal(await h.listArtifacts(stranger.token), []);
  assert.is((await h.downloadArtifact(stranger.token, 'dist-linux')).header.found, false);
  assert.is(h.store.artifacts.get(producer.run.id, 'dist-linux')!.jobId, producer.jobId);
});

test('the same name again fails unless overwrite is set; overwrite replaces it and frees the old bytes', async () => {
  const a = h.job();
  await h.uploadArtifact(a.token, 'out', 'first');
  const b = h.sibling(a.run);
  const dup = await grpcError(h.uploadArtifact(b.token, 'out', 'second'));
  assert.is(dup.code, grpc.status.ALREADY_EXISTS);
  assert.match(dup.details, /E_ARTIFACT_EXISTS: an artifact named out already exists on this workflow run; .* overwrite: true/);
  assert.is((await h.downloadArtifact(b.token, 'out')).data.toString(), 'first');
  const firstBlob = h.store.artifacts.get(a.run.id, 'out')!.blobId;
  assert.equal(await h.uploadArtifact(b.token, 'out', 'second!', { overwrite: true }), { size: 7, stored: true, reason: '' });
  assert.is((await h.downloadArtifact(a.token, 'out')).data.toString(), 'second!');
  assert.is(h.store.artifacts.get(a.run.id, 'out')!.jobId, b.jobId);
  assert.ok(storage.removed.includes(firstBlob), 'the replaced bytes were removed');
  assert.is((await storage.blobs()).length, 1);
  // overwrite on a name that does not exist yet simply stores it.
  assert.is((await h.uploadArtifact(b.token, 'fresh', 'x', { overwrite: true })).stored, true);
});

test('names upload-artifact v4 refuses are refused with its message, before any byte is stored', async () => {
  const { token } = h.job();
  for (const bad of ['a"b', 'a:b', 'a<b', 'a>b', 'a|b', 'a*b', 'a?b', 'a\rb', 'a\nb', 'a\\b', 'a/b', '../x']) {
    const err = await grpcError(h.uploadArtifact(token, bad, 'x'));
    assert.is(err.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(bad));
    assert.match(err.details, /E_ARTIFACT_NAME_INVALID: The artifact name is not valid: [\s\S]*Contains the following character/);
  }
  for (const bad of ['', '.', '..', 'tab\there', 'x'.repeat(256)]) {
    const err = await grpcError(h.uploadArtifact(token, bad, 'x'));
    assert.is(err.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(bad));
  }
  assert.is(storage.writes, 0);
  // Spaces, dots, unicode and shell metacharacters that are not path separators are fine.
  for (const ok of ['my artifact (linux) v1.2', '$(id); `x` & y', 'ünï 🚀', '..hidden']) assert.is((await h.uploadArtifact(token, ok, 'x')).stored, true, ok);
});

test('retention: the default, the asked days, capped by the maximum; expired artifacts vanish and are pruned', async () => {
  const { token, run } = h.job();
  const now = h.clock.now();
  await h.uploadArtifact(token, 'default', 'a');
  await h.uploadArtifact(token, 'five', 'b', { retentionDays: 5 });
  await h.uploadArtifact(token, 'greedy', 'c', { retentionDays: 400 });
  const exp = (name: string) => h.store.artifacts.get(run.id, name)!.expiresAt - now;
  assert.is(exp('default'), 30 * DAY);
  assert.is(exp('five'), 5 * DAY);
  assert.is(exp('greedy'), 60 * DAY);
  h.clock.advance(6 * DAY);
  assert.equal((await h.listArtifacts(token)).map((a) => a.name), ['default', 'greedy']);
  assert.is((await h.downloadArtifact(token, 'five')).header.found, false);
  const fiveBlob = h.store.artifacts.get(run.id, 'five', 0)!.blobId;
  await h.blobs.housekeeping.runNow();
  assert.ok(storage.removed.includes(fiveBlob));
  assert.is(h.store.artifacts.get(run.id, 'five', 0), undefined);
  // An expired name may be uploaded again without overwrite.
  assert.is((await h.uploadArtifact(token, 'five', 'again')).stored, true);
});

test('an artifact over limits.maxArtifactBytes is refused and nothing is kept', async () => {
  const { token } = h.job();
  const err = await grpcError(h.upload('UploadArtifact', { jobToken: token, name: 'big' }, [Buffer.alloc(40 * 1024), Buffer.alloc(40 * 1024)]));
  assert.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(err.details, /E_ARTIFACT_TOO_LARGE: artifact big is over 64 KiB \(limits\.maxArtifactBytes\)/);
  assert.is((await storage.blobs()).length, 0);
  assert.equal(await h.listArtifacts(token), []);
});

test.run();
}
