import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, StorageToken, type Storage } from '@helios-ci/sdk';
import { createTestKernel, verifyPlugin, waitFor } from '@helios-ci/sdk/testkit';
import { DirStorage } from '../src/index.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');
const GROUP = 'github/acme/widget';

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'helios-storage-dir-own-'));
  try {
    await fn(join(base, 'storage'));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function* chunks(...parts: (Uint8Array | (() => Promise<void>))[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    if (typeof p === 'function') await p();
    else yield p;
  }
}

async function text(storage: Storage, id: string): Promise<string | null> {
  const data = await storage.readBlob(id);
  if (!data) return null;
  let out = '';
  for await (const c of data) out += Buffer.from(c).toString('utf8');
  return out;
}

async function expectCode(code: string, call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    assert.ok(isHeliosError(err), `expected ${code}, got ${String(err)}`);
    assert.is(err.code, code, err.message);
    return err.message;
  }
  assert.unreachable(`expected ${code}`);
  return '';
}

const mode = async (path: string) => (await stat(path)).mode & 0o777;

test('the root and every directory it makes are mode 700 (a pre-existing 755 root is tightened); blobs are 600', () =>
  withRoot(async (root) => {
    await mkdir(root, { mode: 0o755 });
    await chmod(root, 0o755);
    const s = new DirStorage({ id: 'dir', root });
    const info = await s.writeBlob('cache', chunks(Buffer.from('x')), { jobId: 'j1', group: GROUP });
    assert.is(await mode(root), 0o700);
    for (const dir of ['images', 'jobs', 'warm', 'blobs', 'blobs/cache', 'blobs/artifact', 'uploads', 'trash']) assert.is(await mode(join(root, dir)), 0o700, dir);
    assert.is(await mode(join(root, info.id)), 0o600);
    const warm = await s.openWarm(null, 'j1');
    assert.is(await mode(warm.location), 0o700);
  }));

test('the quota counts caches and artifacts of a repository together, and a new instance counts what is on disk', () =>
  withRoot(async (root) => {
    const q = 1000;
    const s = new DirStorage({ id: 'dir', root, quotaPerRepositoryBytes: q });
    await s.writeBlob('cache', chunks(new Uint8Array(400)), { jobId: 'j1', group: GROUP });
    await s.writeBlob('artifact', chunks(new Uint8Array(400)), { jobId: 'j1', group: GROUP });
    const message = await expectCode('E_STORAGE_QUOTA', () => s.writeBlob('cache', chunks(new Uint8Array(300)), { jobId: 'j1', group: GROUP }));
    assert.match(message, /github\/acme\/widget would hold more than its quota of 1000 bytes \(800 held/);
    const restarted = new DirStorage({ id: 'dir', root, quotaPerRepositoryBytes: q });
    await expectCode('E_STORAGE_QUOTA', () => restarted.writeBlob('cache', chunks(new Uint8Array(201)), { jobId: 'j2', group: GROUP }));
    const exact = await restarted.writeBlob('cache', chunks(new Uint8Array(200)), { jobId: 'j2', group: GROUP });
    assert.is(exact.size, 200, 'a write that reaches the quota exactly is allowed');
    assert.equal((await restarted.list()).filter((r) => r.kind === 'upload'), []);
  }));

test('uploads in flight count against the quota: two concurrent writes cannot together pass it', () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root, quotaPerRepositoryBytes: 1000 });
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    let firstTaken = false;
    const a = s.writeBlob('cache', chunks(new Uint8Array(600), async () => void (firstTaken = true), async () => gate, new Uint8Array(100)), { jobId: 'ja', group: GROUP });
    await waitFor('the first upload holding 600 bytes', () => firstTaken, 30_000);
    await expectCode('E_STORAGE_QUOTA', () => s.writeBlob('artifact', chunks(new Uint8Array(600)), { jobId: 'jb', group: GROUP }));
    // Another repository is not affected.
    await s.writeBlob('artifact', chunks(new Uint8Array(600)), { jobId: 'jc', group: 'github/acme/other' });
    openGate();
    assert.is((await a).size, 700);
  }));

test('a crash with every byte written but before the rename: a new instance lists an upload, no blob; remove clears it', () =>
  withRoot(async (root) => {
    // A real process, killed with SIGKILL while its stream has not ended (so the rename never ran).
    const child = join(dirname(root), 'crash.mjs');
    await writeFile(
      child,
      `import { DirStorage } from ${JSON.stringify(pathToFileURL(join(PACKAGE_DIR, 'dist/src/index.js')).href)};
const s = new DirStorage({ id: 'dir', root: ${JSON.stringify(root)} });
async function* stream() { yield new Uint8Array(300000).fill(7); process.stdout.write('written\\n'); await new Promise(() => {}); }
await s.writeBlob('artifact', stream(), { jobId: 'crashed-job', group: 'github/acme/widget' });
`,
    );
    const proc = spawn(process.execPath, [child], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += String(d)));
    const exited = new Promise((r) => proc.on('exit', r));
    try {
      await waitFor('the child writing its bytes', () => out.includes('written'), 60_000);
      const uploads = join(root, 'uploads');
      let size = 0;
      for (let i = 0; i < 600 && size < 300000; i++) {
        const names = await readdir(uploads);
        size = names.length === 1 ? (await stat(join(uploads, names[0]!))).size : 0;
        if (size < 300000) await new Promise((r) => setTimeout(r, 50));
      }
      assert.is(size, 300000, 'the child did not write its bytes');
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
    const s = new DirStorage({ id: 'dir', root });
    const refs = await s.list();
    const uploads = refs.filter((r) => r.kind === 'upload');
    assert.is(uploads.length, 1);
    assert.is(uploads[0]!.jobId, 'crashed-job');
    assert.equal(refs.filter((r) => r.kind === 'artifact' || r.kind === 'cache'), [], 'the half-made upload is visible as a blob');
    await s.remove(uploads[0]!);
    assert.equal(await s.list(), []);
  }));

test('a tree left in trash by a crash midway through a delete is emptied at start and never listed', () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root });
    const v = await s.openWarm(null, 'j1');
    await writeFile(join(v.location, 'f'), 'x');
    const head = await s.commitWarm(v);
    // What destroyTree leaves when the process dies after its rename and before the rm finishes.
    await rename(join(root, head), join(root, 'trash', '0123456789abcdef0123456789abcdef'));
    assert.equal(await s.list(), [], 'a head half-way through removal is listed');
    await new DirStorage({ id: 'dir', root }).list();
    assert.equal(await readdir(join(root, 'trash')), []);
  }));

test('release removes a tree the job made read-only (0555 directories, as the Go module cache has), as an unprivileged user', async () => {
  // Root ignores directory modes, so the case only means something for another user: as root, the
  // scenario runs in a child process under uid/gid 65534 (setpriv), otherwise as this user.
  const base = await mkdtemp(join(tmpdir(), 'helios-storage-dir-ro-'));
  try {
    const script = join(base, 'readonly.mjs');
    await writeFile(
      script,
      `import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DirStorage } from ${JSON.stringify(pathToFileURL(join(PACKAGE_DIR, 'dist/src/index.js')).href)};
const root = join(${JSON.stringify(base)}, 'storage');
const s = new DirStorage({ id: 'dir', root });
const v = await s.openWarm(null, 'j1');
const dir = join(v.location, 'go/pkg/mod/example.com/m@v1.0.0');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'go.mod'), 'module m\\n');
await chmod(join(dir, 'go.mod'), 0o444);
for (const d of [dir, dirname(dir), dirname(dirname(dir))]) await chmod(d, 0o555);
await s.release(v);
console.log(JSON.stringify({ uid: process.getuid(), list: await s.list(), jobs: await readdir(join(root, 'jobs')), trash: await readdir(join(root, 'trash')) }));
`,
    );
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await chown(base, 65534, 65534);
    const [cmd, args] = asRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script]] : [process.execPath, [script]];
    const child = spawn(cmd, args as string[], { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const code = await new Promise((r) => child.on('exit', r));
    assert.is(code, 0, out);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { uid: number; list: unknown[]; jobs: string[]; trash: string[] };
    assert.is.not(result.uid, 0, 'the scenario ran as root, where modes do not matter');
    assert.equal([result.list, result.jobs, result.trash], [[], [], []]);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('a symlink in an image is copied as a link: releasing the clone leaves its target alone', () =>
  withRoot(async (root) => {
    const outside = join(dirname(root), 'outside');
    await mkdir(join(outside, 'keep'), { recursive: true });
    await writeFile(join(outside, 'keep/precious'), 'do not delete');
    const image = join(root, 'images', 'ubuntu-24.04');
    await mkdir(join(image, 'bin'), { recursive: true });
    await writeFile(join(image, 'bin/tool'), '#!/bin/sh\n');
    await chmod(join(image, 'bin/tool'), 0o755);
    await symlink(outside, join(image, 'escape'));
    const s = new DirStorage({ id: 'dir', root });
    const v = await s.cloneImage('ubuntu-24.04', 'j1');
    assert.is(await mode(join(v.location, 'bin/tool')), 0o755, 'modes are kept');
    assert.is(await readlink(join(v.location, 'escape')), outside, 'the link was not copied as a link');
    await s.release(v);
    assert.is(await readFile(join(outside, 'keep/precious'), 'utf8'), 'do not delete');
  }));

test('an image that is a symlink to a directory clones its contents; a file is not an image', () =>
  withRoot(async (root) => {
    const real = join(dirname(root), 'real-image');
    await mkdir(real, { recursive: true });
    await writeFile(join(real, 'os-release'), 'ID=test\n');
    const s = new DirStorage({ id: 'dir', root });
    await s.list();
    await symlink(real, join(root, 'images', 'linked'));
    const v = await s.cloneImage('linked', 'j1');
    assert.is(await readFile(join(v.location, 'os-release'), 'utf8'), 'ID=test\n');
    await s.release(v);
    assert.is(await readFile(join(real, 'os-release'), 'utf8'), 'ID=test\n');
    await writeFile(join(root, 'images', 'plain-file'), 'not a directory');
    await expectCode('E_STORAGE_IMAGE_NOT_FOUND', () => s.cloneImage('plain-file', 'j2'));
  }));

test('one volume of each kind per job: a second cloneImage or openWarm is E_CONFLICT and leaves the first intact', () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root });
    const w = await s.openWarm(null, 'j1');
    await writeFile(join(w.location, 'f'), 'kept');
    await expectCode('E_CONFLICT', () => s.openWarm(null, 'j1'));
    assert.is(await readFile(join(w.location, 'f'), 'utf8'), 'kept');
    await expectCode('E_NOT_FOUND', () => s.commitWarm({ ...w, id: 'jobs/j1-image', kind: 'warm' }));
    const head = await s.commitWarm(w);
    await expectCode('E_NOT_FOUND', () => s.commitWarm(w));
    assert.ok((await s.list()).some((r) => r.id === head));
  }));

test('readBlob of ids that are not blobs (a head, a volume, an upload, a path outside) is null', () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root });
    const w = await s.openWarm(null, 'j1');
    const head = await s.commitWarm(w);
    const v = await s.openWarm(null, 'j2');
    for (const id of [head, v.id, 'uploads/j1.0123456789abcdef0123456789abcdef', 'blobs/cache', 'etc/passwd', 'images']) assert.is(await s.readBlob(id), null, id);
    const info = await s.writeBlob('artifact', chunks(Buffer.from('bytes')), { jobId: 'j3', group: GROUP });
    assert.is(await text(s, info.id), 'bytes');
    // The kind is part of the id: removing it as a cache does nothing.
    await s.remove({ id: info.id, kind: 'cache' });
    assert.is(await text(s, info.id), 'bytes');
  }));

test("a disk error is E_STORAGE_FAILED saying what was being done; the caller's stream error passes through as it is", () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root });
    await mkdir(join(root, 'images', 'img'), { recursive: true });
    await writeFile(join(root, 'images', 'img', 'f'), 'x');
    await s.list();
    // jobs/ replaced by a file: making the job's volume directory fails with ENOTDIR.
    await rm(join(root, 'jobs'), { recursive: true });
    await writeFile(join(root, 'jobs'), 'not a directory');
    const message = await expectCode('E_STORAGE_FAILED', () => s.cloneImage('img', 'j1'));
    assert.match(message, /^storage-dir: cloning image img for job j1 failed: ENOTDIR/);
    const gone = new Error('the client went away');
    try {
      await s.writeBlob('cache', chunks(Buffer.from('partial'), async () => Promise.reject(gone)), { jobId: 'j1', group: GROUP });
      assert.unreachable('writeBlob resolved');
    } catch (err) {
      assert.is(err, gone);
    }
    assert.equal((await s.list()).filter((r) => r.kind === 'upload' || r.kind === 'cache'), []);
  }));

test('a quota group must be a short printable string', () =>
  withRoot(async (root) => {
    const s = new DirStorage({ id: 'dir', root });
    for (const group of ['', 'a\nb', 'x'.repeat(301)]) await expectCode('E_STORAGE_NAME_INVALID', () => s.writeBlob('cache', chunks(), { jobId: 'j1', group }));
    assert.equal(await s.list(), []);
  }));

test('verifyPlugin loads the package through the production loader; a bad quota is refused by the schema', async () => {
  const base = await mkdtemp(join(tmpdir(), 'helios-storage-dir-verify-'));
  try {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { path: 'store' }, configDir: base });
    assert.equal(steps.map((s) => [s.step, s.ok]), [['load', true], ['configure', true], ['start', true], ['stop', true]]);
    assert.match(steps[0]!.detail, /^@helios-ci\/storage-dir@\d+\.\d+\.\d+ \(plugin "storage-dir", API 1\.x, kinds storage\)/);
    const bad = await verifyPlugin(PACKAGE_DIR, { config: { quotaPerRepositoryBytes: 0 }, configDir: base });
    assert.is(bad.find((s) => !s.ok)?.step, 'configure');
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test("in a kernel: path is relative to helios.yaml, and by default it is the instance's data dir + /storage", async () => {
  const base = await mkdtemp(join(tmpdir(), 'helios-storage-dir-kernel-'));
  try {
    for (const [config, expected] of [
      [{ path: 'store' }, join(base, 'store')],
      [{}, null],
    ] as const) {
      const kernel = await createTestKernel({ plugins: { blobs: { use: PACKAGE_DIR, config } }, configDir: base });
      const storage = kernel.resolve(StorageToken);
      assert.is(storage.id, 'blobs');
      const info = await storage.writeBlob('cache', chunks(Buffer.from('k')), { jobId: 'j1', group: GROUP });
      if (expected) assert.is(await readFile(join(expected, info.id), 'utf8'), 'k');
      else {
        const found = await findFile(base, info.id);
        assert.ok(found, 'the blob is not under the config dir');
        assert.match(found, /\/plugins\/blobs\/storage\/blobs\/cache\/[0-9a-f.]+$/);
      }
      await kernel.stop();
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

async function findFile(dir: string, suffix: string): Promise<string | null> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = await findFile(p, suffix);
      if (f) return f;
    } else if (p.endsWith(suffix)) return p;
  }
  return null;
}

test.run();
