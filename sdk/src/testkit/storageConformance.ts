import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { createHash, randomUUID } from 'node:crypto';
import { isHeliosError } from '../errors.js';
import type { BlobInfo, BlobKind, Storage, StorageRef, Volume, VolumeKind } from '../interfaces/storage.js';
import { conformanceSuite, type ConformanceCase } from './conformance.js';

/**
 * What the Storage suite needs besides the backend. Everything goes through the backend's own
 * backing store (a directory tree, a pool), so a second instance sees what the first one left, as
 * after a crash and restart. A VM-disk backend implements the file helpers by reading and writing
 * the filesystem inside the volume (mounting the zvol, or a loop device) in whatever way it can.
 */
export interface StorageHarness {
  /** A new backend instance over the SAME backing store; the first instance of a case comes from here too. */
  create(): Promise<Storage>;
  /** Makes a golden image `name` holding exactly `files` (relative path → UTF-8 text). */
  prepareImage(name: string, files: Record<string, string>): Promise<void>;
  /** A file's text inside a volume; null when the file (or the whole volume) does not exist. */
  readVolumeFile(volume: Volume, relPath: string): Promise<string | null>;
  /** Writes a file inside a volume, as the job's machine would (creating parent directories). */
  writeVolumeFile(volume: Volume, relPath: string, text: string): Promise<void>;
  /**
   * Leaves a volume of `kind` for `jobId` the way `cloneImage`/`openWarm` would leave it had the
   * process died midway (some of it made, nothing finished), and returns the Volume the call would
   * have returned.
   */
  halfMakeVolume(storage: Storage, kind: VolumeKind, jobId: string): Promise<Volume>;
  /** Removes the backing store and anything else the harness made. */
  cleanup(): Promise<void>;
}

interface Subject {
  storage: Storage;
  harness: StorageHarness;
}

/** A hang guard for things that must happen (a backend pulling a stream, a write showing up), not a speed check. */
const HANG_GUARD_MS = 30_000;

const IMAGE = 'conformance-image';
const IMAGE_FILES = { 'README.txt': 'golden image\n', 'etc/os-release': 'ID=helios-test\n', 'deep/a/b/c.txt': 'c' };
const GROUP = 'github/acme/widget';

const newJob = () => `job-${randomUUID()}`;

async function waitUntil<T>(what: string, check: () => Promise<T | undefined | null | false>): Promise<T> {
  const deadline = Date.now() + HANG_GUARD_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) assert.unreachable(`${what} did not happen within ${HANG_GUARD_MS} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Deterministic bytes (xorshift), so a mismatch is reproducible and no two offsets look alike. */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** `bytes` as a stream of uneven chunks (plain Uint8Array views, not Buffers), each a fresh copy. */
async function* unevenChunks(bytes: Uint8Array, seed: number): AsyncGenerator<Uint8Array> {
  const sizes = pseudoRandomBytes(4096, seed);
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    // 1 byte .. ~96 KiB: tiny chunks and chunks larger than a typical write buffer.
    const size = 1 + (((sizes[i % sizes.length]! << 8) | sizes[(i + 1) % sizes.length]!) % (96 * 1024));
    yield bytes.slice(offset, offset + size);
    offset += size;
  }
}

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function readAll(data: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of data) {
    parts.push(chunk.slice());
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function assertBlobIs(storage: Storage, id: string, expected: Uint8Array): Promise<void> {
  const data = await storage.readBlob(id);
  assert.ok(data, `readBlob(${JSON.stringify(id)}) is null for a committed blob`);
  const got = await readAll(data);
  assert.is(got.length, expected.length, `blob ${id}: ${got.length} bytes read, ${expected.length} written`);
  assert.is(sha256(got), sha256(expected), `blob ${id}: the bytes read differ from the bytes written`);
}

async function expectCode(what: string, code: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    assert.ok(isHeliosError(err), `${what}: expected a HeliosError ${code}, got ${String(err)}`);
    assert.is(err.code, code, `${what}: ${err.message}`);
    return;
  }
  assert.unreachable(`${what}: succeeded, expected ${code}`);
}

/** The ref with that id, as the contract's three fields (a backend may add its own). */
function find(refs: StorageRef[], id: string): StorageRef | undefined {
  const r = refs.find((x) => x.id === id);
  return r && { id: r.id, kind: r.kind, jobId: r.jobId };
}
const uploadsOf = (refs: StorageRef[], jobId: string) => refs.filter((r) => r.kind === 'upload' && r.jobId === jobId);
const blobIds = (refs: StorageRef[]) => refs.filter((r) => r.kind === 'cache' || r.kind === 'artifact').map((r) => r.id).sort();
const sortedRefs = (refs: StorageRef[]) => [...refs].map((r) => `${r.kind} ${r.id} ${r.jobId}`).sort();

async function writeText(storage: Storage, kind: BlobKind, text: string, jobId = newJob()): Promise<BlobInfo> {
  return storage.writeBlob(kind, fromChunks([new TextEncoder().encode(text)]), { jobId, group: GROUP });
}

/** Names a backend must refuse as job ids and image names (E_STORAGE_NAME_INVALID). */
const BAD_NAMES = [
  '',
  '..',
  '../escape',
  'a/../../b',
  'a/b',
  '/abs',
  '-rf',
  '.hidden',
  'a..b',
  'a b',
  'a\nb',
  'a;rm -rf ~',
  '$(id)',
  '`id`',
  'a|b',
  'a&b',
  'a>b',
  "a'b",
  'a"b',
  'a*',
  'x'.repeat(300),
];

/** Ids no backend hands out (outside `[A-Za-z0-9._/-]`, or with `..`): refused with E_STORAGE_NAME_INVALID. */
const BAD_IDS = ['', '..', '../escape', 'cache/../../x', 'a b', '$(id)', 'a;b', 'a\nb', 'a|b'];

const cases: ConformanceCase<Subject>[] = [
  {
    name: "cloneImage: the clone holds the image's files; writes to it reach neither the image nor other clones",
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const jobA = newJob();
      const a = await storage.cloneImage(IMAGE, jobA);
      assert.is(a.kind, 'image-clone');
      assert.is(a.jobId, jobA);
      assert.ok(a.location.length > 0, 'the volume has no location');
      for (const [path, text] of Object.entries(IMAGE_FILES)) assert.is(await harness.readVolumeFile(a, path), text, path);
      const before = await storage.cloneImage(IMAGE, newJob());
      await harness.writeVolumeFile(a, 'README.txt', 'changed by job A\n');
      await harness.writeVolumeFile(a, 'new/file.txt', 'new');
      const b = await storage.cloneImage(IMAGE, newJob());
      assert.is.not(b.id, a.id);
      assert.is(await harness.readVolumeFile(b, 'README.txt'), IMAGE_FILES['README.txt'], 'a clone made after another clone was written sees those writes');
      assert.is(await harness.readVolumeFile(b, 'new/file.txt'), null);
      assert.is(await harness.readVolumeFile(before, 'README.txt'), IMAGE_FILES['README.txt'], 'a write to one clone reached a clone made before it');
      assert.is(await harness.readVolumeFile(before, 'new/file.txt'), null);
      assert.is(await harness.readVolumeFile(a, 'README.txt'), 'changed by job A\n');
      for (const v of [a, b, before]) await storage.release(v);
    },
  },
  {
    name: 'cloneImage of an unknown image is E_STORAGE_IMAGE_NOT_FOUND and leaves nothing behind',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const before = sortedRefs(await storage.list());
      await expectCode('cloneImage of an unknown image', 'E_STORAGE_IMAGE_NOT_FOUND', () => storage.cloneImage('no-such-image', newJob()));
      assert.equal(sortedRefs(await storage.list()), before, 'a failed cloneImage left something in list()');
    },
  },
  {
    name: 'list reports a clone with its job; release removes it; release twice is fine',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const jobId = newJob();
      const volume = await storage.cloneImage(IMAGE, jobId);
      assert.equal(find(await storage.list(), volume.id), { id: volume.id, kind: 'image-clone', jobId });
      await storage.release(volume);
      assert.is(find(await storage.list(), volume.id), undefined, 'list() still reports the released clone');
      assert.is(await harness.readVolumeFile(volume, 'README.txt'), null, 'the released clone still holds its files');
      await storage.release(volume);
      await storage.remove({ id: volume.id, kind: 'image-clone' });
    },
  },
  {
    name: 'release goes by the volume id, never its location',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const keep = await storage.cloneImage(IMAGE, newJob());
      const drop = await storage.cloneImage(IMAGE, newJob());
      await storage.release({ ...drop, location: keep.location });
      assert.is(await harness.readVolumeFile(keep, 'README.txt'), IMAGE_FILES['README.txt'], 'release destroyed the volume at the location it was handed');
      assert.ok(find(await storage.list(), keep.id));
      assert.is(find(await storage.list(), drop.id), undefined, 'the volume named by id was not released');
      await storage.release(keep);
    },
  },
  {
    name: 'a half-made volume is listed with its job by a new instance, and release removes it (twice is fine)',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      for (const kind of ['image-clone', 'warm'] as const) {
        const jobId = newJob();
        const half = await harness.halfMakeVolume(storage, kind, jobId);
        const restarted = await harness.create();
        assert.equal(find(await restarted.list(), half.id), { id: half.id, kind, jobId }, `${kind}: the half-made volume is not listed with its job`);
        await restarted.release(half);
        assert.is(find(await restarted.list(), half.id), undefined, `${kind}: release left the half-made volume`);
        await restarted.release(half);
        await storage.release(half);
      }
    },
  },
  {
    name: 'openWarm(null) is an empty, writable volume listed as warm with its job',
    async run({ storage, harness }) {
      const jobId = newJob();
      const volume = await storage.openWarm(null, jobId);
      assert.is(volume.kind, 'warm');
      assert.is(volume.jobId, jobId);
      assert.is(await harness.readVolumeFile(volume, 'README.txt'), null);
      await harness.writeVolumeFile(volume, '0/registry/index.json', '{}');
      assert.is(await harness.readVolumeFile(volume, '0/registry/index.json'), '{}');
      assert.equal(find(await storage.list(), volume.id), { id: volume.id, kind: 'warm', jobId });
      await storage.release(volume);
      assert.is(find(await storage.list(), volume.id), undefined);
      await storage.release(volume);
    },
  },
  {
    name: 'commitWarm makes a head: a clone of it sees the files, its writes leave the head as committed',
    async run({ storage, harness }) {
      const first = await storage.openWarm(null, newJob());
      await harness.writeVolumeFile(first, '0/dep.txt', 'v1');
      const head = await storage.commitWarm(first);
      assert.type(head, 'string');
      const refs = await storage.list();
      assert.equal(find(refs, head), { id: head, kind: 'warm-head', jobId: null });
      assert.is(find(refs, first.id), undefined, 'the committed warm volume is still listed as a volume');
      // The volume was consumed: releasing it must not touch the head.
      await storage.release(first);

      const a = await storage.openWarm(head, newJob());
      const b = await storage.openWarm(head, newJob());
      assert.is(await harness.readVolumeFile(a, '0/dep.txt'), 'v1');
      await harness.writeVolumeFile(a, '0/dep.txt', 'changed by a');
      await harness.writeVolumeFile(a, '0/extra.txt', 'extra');
      assert.is(await harness.readVolumeFile(b, '0/dep.txt'), 'v1', 'a write to one clone of a head reached another');
      await storage.release(a);
      const c = await storage.openWarm(head, newJob());
      assert.is(await harness.readVolumeFile(c, '0/dep.txt'), 'v1', 'a write to a clone changed the head');
      assert.is(await harness.readVolumeFile(c, '0/extra.txt'), null, 'a file written to a clone appeared in the head');
      await storage.release(b);
      await storage.release(c);
      assert.ok(find(await storage.list(), head), 'releasing clones removed the head');
    },
  },
  {
    name: 'openWarm of a removed or never-made head is empty',
    async run({ storage, harness }) {
      const v = await storage.openWarm(null, newJob());
      await harness.writeVolumeFile(v, 'f.txt', 'x');
      const head = await storage.commitWarm(v);
      await storage.remove({ id: head, kind: 'warm-head' });
      assert.is(find(await storage.list(), head), undefined, 'a removed head is still listed');
      await storage.remove({ id: head, kind: 'warm-head' });
      for (const gone of [head, 'no-such-warm-head']) {
        const empty = await storage.openWarm(gone, newJob());
        assert.is(await harness.readVolumeFile(empty, 'f.txt'), null, `openWarm(${JSON.stringify(gone)}) is not empty`);
        await storage.release(empty);
      }
    },
  },
  {
    name: 'removing an older head breaks neither a clone made from it nor the heads committed from that clone',
    async run({ storage, harness }) {
      const v1 = await storage.openWarm(null, newJob());
      await harness.writeVolumeFile(v1, 'a.txt', '1');
      const h1 = await storage.commitWarm(v1);

      const v2 = await storage.openWarm(h1, newJob());
      await harness.writeVolumeFile(v2, 'b.txt', '2');
      await storage.remove({ id: h1, kind: 'warm-head' });
      assert.is(find(await storage.list(), h1), undefined, 'the removed head is still listed');
      const v3 = await storage.openWarm(h1, newJob());
      assert.is(await harness.readVolumeFile(v3, 'a.txt'), null, 'openWarm of a removed head is not empty');
      await storage.release(v3);
      assert.is(await harness.readVolumeFile(v2, 'a.txt'), '1', 'removing its head broke a clone in use');
      assert.is(await harness.readVolumeFile(v2, 'b.txt'), '2');
      await harness.writeVolumeFile(v2, 'c.txt', '3');

      const h2 = await storage.commitWarm(v2);
      const v4 = await storage.openWarm(h2, newJob());
      for (const [f, t] of [['a.txt', '1'], ['b.txt', '2'], ['c.txt', '3']] as const) assert.is(await harness.readVolumeFile(v4, f), t, `head 2: ${f}`);
      await harness.writeVolumeFile(v4, 'd.txt', '4');
      const h3 = await storage.commitWarm(v4);
      // The kernel keeps the newest head per (repository, branch, job) and removes the one before.
      await storage.remove({ id: h2, kind: 'warm-head' });
      const v5 = await storage.openWarm(h3, newJob());
      for (const [f, t] of [['a.txt', '1'], ['b.txt', '2'], ['c.txt', '3'], ['d.txt', '4']] as const) assert.is(await harness.readVolumeFile(v5, f), t, `head 3 after removing head 2: ${f}`);
      await storage.release(v5);
      const heads = (await storage.list()).filter((r) => r.kind === 'warm-head').map((r) => r.id);
      assert.equal(heads, [h3]);
      await storage.remove({ id: h3, kind: 'warm-head' });
      assert.equal((await storage.list()).filter((r) => r.kind === 'warm-head' || r.kind === 'warm'), []);
    },
  },
  {
    name: 'writeBlob/readBlob: 0 bytes round trip',
    async run({ storage }) {
      const info = await storage.writeBlob('cache', fromChunks([]), { jobId: newJob(), group: GROUP });
      assert.is(info.kind, 'cache');
      assert.is(info.size, 0);
      await assertBlobIs(storage, info.id, new Uint8Array(0));
      const empties = await storage.writeBlob('artifact', fromChunks([new Uint8Array(0), new Uint8Array(0)]), { jobId: newJob(), group: GROUP });
      assert.is(empties.size, 0);
      await assertBlobIs(storage, empties.id, new Uint8Array(0));
    },
  },
  {
    name: 'writeBlob/readBlob: a few MiB in many uneven chunks, both kinds; listed with jobId null; readable by a new instance',
    async run({ storage, harness }) {
      const bytes = pseudoRandomBytes(3 * 1024 * 1024 + 17, 7);
      const jobId = newJob();
      const cache = await storage.writeBlob('cache', unevenChunks(bytes, 11), { jobId, group: GROUP });
      const artifact = await storage.writeBlob('artifact', unevenChunks(bytes, 13), { jobId, group: GROUP });
      assert.equal([cache.kind, cache.size, artifact.kind, artifact.size], ['cache', bytes.length, 'artifact', bytes.length]);
      assert.is.not(cache.id, artifact.id);
      await assertBlobIs(storage, cache.id, bytes);
      await assertBlobIs(storage, artifact.id, bytes);
      const refs = await storage.list();
      assert.equal(find(refs, cache.id), { id: cache.id, kind: 'cache', jobId: null });
      assert.equal(find(refs, artifact.id), { id: artifact.id, kind: 'artifact', jobId: null });
      assert.equal(uploadsOf(refs, jobId), [], 'a completed upload is still listed as an upload');
      const restarted = await harness.create();
      await assertBlobIs(restarted, cache.id, bytes);
      assert.equal(blobIds(await restarted.list()), blobIds(refs));
    },
  },
  {
    name: 'a stream that throws midway: writeBlob rejects, nothing is committed, no upload is left',
    async run({ storage }) {
      const jobId = newJob();
      const before = blobIds(await storage.list());
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield pseudoRandomBytes(512 * 1024, 3);
        yield pseudoRandomBytes(512 * 1024, 5);
        throw new Error('the client went away');
      }
      let rejected = false;
      try {
        await storage.writeBlob('artifact', failing(), { jobId, group: GROUP });
      } catch {
        rejected = true;
      }
      assert.ok(rejected, 'writeBlob resolved although its stream threw');
      const after = await storage.list();
      assert.equal(blobIds(after), before, 'a blob was committed from a stream that threw');
      assert.equal(uploadsOf(after, jobId), [], 'the failed upload is still listed');
    },
  },
  {
    name: 'a crash mid-upload: a new instance lists the upload with its job, and remove clears it',
    async run({ storage, harness }) {
      const jobId = newJob();
      const before = blobIds(await storage.list());
      let endStream!: (err: Error) => void;
      const hang = new Promise<never>((_, reject) => (endStream = reject));
      hang.catch(() => {});
      let handedOver = false;
      async function* neverEnds(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 64; i++) yield pseudoRandomBytes(64 * 1024, i + 1);
        handedOver = true;
        await hang;
      }
      const pending = storage.writeBlob('cache', neverEnds(), { jobId, group: GROUP }).then(
        () => 'resolved',
        () => 'rejected',
      );
      try {
        await waitUntil('the backend taking 4 MiB of the stream', async () => handedOver);
        const restarted = await harness.create();
        const upload = await waitUntil('a new instance listing the upload', async () => uploadsOf(await restarted.list(), jobId)[0]);
        assert.is(upload.jobId, jobId);
        assert.equal(blobIds(await restarted.list()), before, 'an upload in progress is listed as a committed blob');
        await restarted.remove(upload);
        assert.equal(uploadsOf(await restarted.list(), jobId), [], 'remove left the upload');
        await restarted.remove(upload);
      } finally {
        endStream(new Error('the crashed process is gone'));
      }
      assert.is(await pending, 'rejected', 'the interrupted writeBlob resolved');
      const after = await storage.list();
      assert.equal(blobIds(after), before, 'a blob was committed from an interrupted upload');
      assert.equal(uploadsOf(after, jobId), []);
    },
  },
  {
    name: 'readBlob of an unknown or removed id is null; remove is idempotent',
    async run({ storage }) {
      assert.is(await storage.readBlob('no-such-blob'), null);
      assert.is(await storage.readBlob('cache/no-such-blob'), null);
      const info = await writeText(storage, 'cache', 'hello');
      await assertBlobIs(storage, info.id, new TextEncoder().encode('hello'));
      await storage.remove({ id: info.id, kind: 'cache' });
      assert.is(await storage.readBlob(info.id), null, 'a removed blob is still readable');
      assert.is(find(await storage.list(), info.id), undefined, 'a removed blob is still listed');
      await storage.remove({ id: info.id, kind: 'cache' });
      await storage.remove({ id: 'no-such-blob', kind: 'artifact' });
      await storage.remove({ id: 'no-such-upload', kind: 'upload' });
      await storage.remove({ id: 'no-such-volume', kind: 'image-clone' });
    },
  },
  {
    name: 'a read in progress when its blob is removed returns every byte or fails; other blobs stay',
    async run({ storage }) {
      const bytes = pseudoRandomBytes(256 * 1024, 21);
      const a = await storage.writeBlob('artifact', unevenChunks(bytes, 1), { jobId: newJob(), group: GROUP });
      const b = await storage.writeBlob('artifact', unevenChunks(bytes, 2), { jobId: newJob(), group: GROUP });
      const reading = await storage.readBlob(a.id);
      assert.ok(reading);
      await storage.remove({ id: a.id, kind: 'artifact' });
      // The read may fail, but it must never end early without an error (a silently short cache archive).
      let got: Uint8Array | undefined;
      try {
        got = await readAll(reading);
      } catch {
        got = undefined;
      }
      if (got) assert.is(sha256(got), sha256(bytes), 'a read started before remove() ended early without an error');
      assert.is(await storage.readBlob(a.id), null, 'the removed blob is still readable');
      await assertBlobIs(storage, b.id, bytes);
    },
  },
  {
    name: 'list survives a restart: a new instance sees volumes, heads and blobs, and can release and remove them',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const jobId = newJob();
      const clone = await storage.cloneImage(IMAGE, jobId);
      const warm = await storage.openWarm(null, jobId);
      const w = await storage.openWarm(null, newJob());
      await harness.writeVolumeFile(w, 'kept.txt', 'kept');
      const head = await storage.commitWarm(w);
      const blob = await writeText(storage, 'artifact', 'artifact bytes');
      const restarted = await harness.create();
      const refs = await restarted.list();
      assert.equal(find(refs, clone.id), { id: clone.id, kind: 'image-clone', jobId });
      assert.equal(find(refs, warm.id), { id: warm.id, kind: 'warm', jobId });
      assert.equal(find(refs, head), { id: head, kind: 'warm-head', jobId: null });
      assert.equal(find(refs, blob.id), { id: blob.id, kind: 'artifact', jobId: null });
      const fromHead = await restarted.openWarm(head, newJob());
      assert.is(await harness.readVolumeFile(fromHead, 'kept.txt'), 'kept');
      await restarted.release(fromHead);
      for (const ref of [find(refs, clone.id)!, find(refs, warm.id)!, find(refs, head)!, find(refs, blob.id)!]) await restarted.remove(ref);
      const left = (await restarted.list()).map((r) => r.id);
      for (const id of [clone.id, warm.id, head, blob.id]) assert.not.ok(left.includes(id), `${id} survived remove()`);
    },
  },
  {
    name: 'concurrent clones, warm volumes and writes get distinct ids and keep their own contents',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const jobs = Array.from({ length: 4 }, newJob);
      const clones = await Promise.all(jobs.map((j) => storage.cloneImage(IMAGE, j)));
      const warms = await Promise.all(jobs.map((j) => storage.openWarm(null, j)));
      const blobs = await Promise.all(jobs.map((j, i) => storage.writeBlob('cache', unevenChunks(pseudoRandomBytes(100_000 + i, i + 1), i + 1), { jobId: j, group: GROUP })));
      const ids = [...clones, ...warms].map((v) => v.id).concat(blobs.map((b) => b.id));
      assert.is(new Set(ids).size, ids.length, `ids repeat: ${ids.join(', ')}`);
      await Promise.all(warms.map((w, i) => harness.writeVolumeFile(w, 'who.txt', jobs[i]!)));
      const heads = await Promise.all(warms.map((w) => storage.commitWarm(w)));
      assert.is(new Set(heads).size, heads.length, 'two commits made the same head');
      for (const [i, h] of heads.entries()) {
        const v = await storage.openWarm(h, newJob());
        assert.is(await harness.readVolumeFile(v, 'who.txt'), jobs[i]);
        await storage.release(v);
      }
      for (const [i, b] of blobs.entries()) await assertBlobIs(storage, b.id, pseudoRandomBytes(100_000 + i, i + 1));
      await Promise.all(clones.map((c) => storage.release(c)));
    },
  },
  {
    name: 'malformed job ids and image names are E_STORAGE_NAME_INVALID before anything is touched',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const before = sortedRefs(await storage.list());
      for (const bad of BAD_NAMES) {
        const shown = JSON.stringify(bad.length > 40 ? `${bad.slice(0, 20)}...(${bad.length})` : bad);
        await expectCode(`cloneImage(image ${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.cloneImage(bad, newJob()));
        await expectCode(`cloneImage(job ${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.cloneImage(IMAGE, bad));
        await expectCode(`openWarm(null, job ${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.openWarm(null, bad));
        let pulled = false;
        async function* untouched(): AsyncGenerator<Uint8Array> {
          pulled = true;
          yield new Uint8Array([1, 2, 3]);
        }
        await expectCode(`writeBlob(job ${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.writeBlob('cache', untouched(), { jobId: bad, group: GROUP }));
        assert.not.ok(pulled, `writeBlob(job ${shown}) read the stream before refusing the job id`);
      }
      assert.equal(sortedRefs(await storage.list()), before, 'a refused call left something behind');
      // Names at the edges of the accepted form work.
      const edge = await storage.cloneImage(IMAGE, `${randomUUID()}.2_x-y`);
      await storage.release(edge);
      const long = await storage.openWarm(null, 'j'.repeat(128));
      await storage.release(long);
    },
  },
  {
    name: 'malformed ids are E_STORAGE_NAME_INVALID (readBlob, remove, openWarm, release, commitWarm)',
    async run({ storage, harness }) {
      await harness.prepareImage(IMAGE, IMAGE_FILES);
      const victim = await storage.cloneImage(IMAGE, newJob());
      const before = sortedRefs(await storage.list());
      for (const bad of BAD_IDS) {
        const shown = JSON.stringify(bad);
        await expectCode(`readBlob(${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.readBlob(bad));
        for (const kind of ['cache', 'artifact', 'upload', 'warm-head', 'image-clone', 'warm'] as const) {
          await expectCode(`remove(${kind} ${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.remove({ id: bad, kind }));
        }
        await expectCode(`openWarm(${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.openWarm(bad, newJob()));
        await expectCode(`release(${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.release({ ...victim, id: bad }));
        await expectCode(`commitWarm(${shown})`, 'E_STORAGE_NAME_INVALID', () => storage.commitWarm({ ...victim, kind: 'warm', id: bad }));
      }
      assert.equal(sortedRefs(await storage.list()), before, 'a refused call changed what the backend holds');
      assert.is(await harness.readVolumeFile(victim, 'README.txt'), IMAGE_FILES['README.txt']);
      await storage.release(victim);
    },
  },
];

const quotaCases = (quotaPerGroupBytes: number): ConformanceCase<Subject>[] => [
  {
    name: 'quota: a write over the group quota is E_STORAGE_QUOTA, stops early, commits nothing; other groups and freed space still work',
    async run({ storage }) {
      const quota = quotaPerGroupBytes;
      const half = pseudoRandomBytes(Math.floor(quota / 2), 31);
      const first = await storage.writeBlob('cache', unevenChunks(half, 1), { jobId: newJob(), group: GROUP });
      const before = blobIds(await storage.list());
      const jobId = newJob();
      let offered = 0;
      async function* tooMuch(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 64; i++) {
          const chunk = pseudoRandomBytes(Math.ceil(quota / 8), i + 1);
          offered += chunk.length;
          yield chunk;
        }
      }
      await expectCode('writeBlob over the quota', 'E_STORAGE_QUOTA', () => storage.writeBlob('artifact', tooMuch(), { jobId, group: GROUP }));
      assert.ok(offered < 64 * Math.ceil(quota / 8), 'the backend read the whole stream before refusing it (it must stop at the quota)');
      const after = await storage.list();
      assert.equal(blobIds(after), before, 'a refused write committed a blob');
      assert.equal(uploadsOf(after, jobId), [], 'a refused write left an upload');
      const other = await storage.writeBlob('cache', unevenChunks(half, 2), { jobId: newJob(), group: 'github/acme/other' });
      await assertBlobIs(storage, other.id, half);
      await storage.remove({ id: first.id, kind: 'cache' });
      const again = await storage.writeBlob('cache', unevenChunks(half, 3), { jobId: newJob(), group: GROUP });
      await assertBlobIs(storage, again.id, half);
    },
  },
];

export interface StorageConformanceOptions {
  /**
   * For a backend that enforces a per-group quota: the quota case runs against harnesses from
   * `makeHarness`, whose backends enforce `bytes` (keep it small, about 1 MiB: the case writes a few
   * times this much). The other cases use the suite's main harness, which must have no quota (or one
   * of 64 MiB or more per group).
   */
  quota?: { bytes: number; makeHarness: () => Promise<StorageHarness> };
}

function subjectOf(makeHarness: () => Promise<StorageHarness>) {
  return async () => {
    const harness = await makeHarness();
    try {
      const storage = await harness.create();
      return { subject: { storage, harness }, cleanup: () => harness.cleanup() };
    } catch (err) {
      await harness.cleanup();
      throw err;
    }
  };
}

/**
 * The Storage conformance suite. `makeHarness()` is called once per case and returns a harness over
 * a fresh, empty backing store; the suite calls `harness.cleanup()` when the case ends. `.run()` the
 * returned suite; with `options.quota` that also runs the quota suite.
 */
export function storageConformance(name: string, makeHarness: () => Promise<StorageHarness>, options: StorageConformanceOptions = {}): Test {
  const main = conformanceSuite(`Storage conformance: ${name}`, subjectOf(makeHarness), cases);
  if (!options.quota) return main;
  const quota = conformanceSuite(`Storage conformance: ${name} (quota of ${options.quota.bytes} bytes)`, subjectOf(options.quota.makeHarness), quotaCases(options.quota.bytes));
  // One `.run()` runs both suites, so a plugin test cannot forget the quota case.
  const runMain = main.run.bind(main);
  main.run = () => {
    runMain();
    quota.run();
  };
  return main;
}
