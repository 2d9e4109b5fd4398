/** `helios run`'s artifact extraction: zips as upload-artifact makes them, and hostile ones. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import yazl from 'yazl';
import { extractRunArtifacts, safeEntryPath } from '../../src/cli/run/extractArtifacts.js';
import { BlobHarness } from '../helpers/blobHarness.js';
import { MemoryStorage } from '../helpers/memoryStorage.js';

const test = suite('artifact extraction');
let h: BlobHarness;
let out: string;

test.before.each(async () => {
  h = new BlobHarness(new MemoryStorage());
  out = mkdtempSync(join(tmpdir(), 'helios-artifacts-'));
});
test.after.each(async () => {
  await h.stop();
  rmSync(out, { recursive: true, force: true });
});

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith('/')) zip.addEmptyDirectory(path);
    else zip.addBuffer(Buffer.from(text), path);
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}

/** yazl refuses to write "../" names, so a hostile zip is made by renaming an entry in place (same length). */
function rename(zip: Buffer, from: string, to: string): Buffer {
  assert.is(from.length, to.length);
  const bytes = Buffer.from(zip);
  let at = bytes.indexOf(from);
  assert.ok(at >= 0);
  while (at >= 0) {
    bytes.write(to, at);
    at = bytes.indexOf(from, at + 1);
  }
  return bytes;
}

async function store(name: string, zip: Buffer, runId: string, jobId: string) {
  async function* data() {
    yield zip;
  }
  await h.blobs.artifacts.upload({ runId, jobId, name, retentionDays: 0, overwrite: false, group: 'g', data: data() });
}

test('each artifact lands in <dir>/<run>/<name>/ with its tree', async () => {
  const { run, jobId } = h.job();
  await store('dist', await zipOf({ 'app.js': 'x', 'lib/util.js': 'y', 'empty/': '' }), run.id, jobId);
  await store('report ü', await zipOf({ 'index.html': '<h1>' }), run.id, jobId);
  const got = await extractRunArtifacts(h.blobs.artifacts, run.id, out);
  assert.equal(got.map((a) => [a.name, a.files]), [['dist', 2], ['report ü', 1]]);
  assert.is(readFileSync(join(out, run.id, 'dist', 'lib', 'util.js'), 'utf8'), 'y');
  assert.ok(existsSync(join(out, run.id, 'dist', 'empty')));
  assert.is(readFileSync(join(out, run.id, 'report ü', 'index.html'), 'utf8'), '<h1>');
  assert.equal(readdirSync(join(out, run.id)).sort(), ['dist', 'report ü'], 'no partial zips left');
});

test('zip slip: an entry climbing out with ../ is refused and nothing outside is written', async () => {
  const { run, jobId } = h.job();
  const evil = rename(await zipOf({ 'ok.txt': 'fine', 'AA/AA/evil.txt': 'pwned' }), 'AA/AA/evil.txt', '../../evil.txt');
  await store('evil', evil, run.id, jobId);
  try {
    await extractRunArtifacts(h.blobs.artifacts, run.id, out);
    assert.unreachable('extracted a zip-slip entry');
  } catch (err) {
    assert.ok(isHeliosError(err));
    assert.is(err.code, 'E_ARTIFACT_ZIP_INVALID');
    assert.match(err.message, /zip entry "..\/..\/evil.txt" climbs out with "\.\."/);
  }
  assert.not.ok(existsSync(join(out, 'evil.txt')));
  assert.not.ok(existsSync(join(out, run.id, 'evil.txt')));
});

test('absolute, backslash and drive-letter names are refused', () => {
  const dir = join(out, 'run', 'a');
  for (const bad of ['/etc/passwd', '..\\..\\x', 'C:/x', 'a/../../b', 'x\0y']) {
    try {
      safeEntryPath(dir, bad, 'a');
      assert.unreachable(bad);
    } catch (err) {
      assert.ok(isHeliosError(err), bad);
    }
  }
  assert.is(safeEntryPath(dir, 'a/b..c/d', 'a'), join(dir, 'a', 'b..c', 'd'));
});

test('a broken zip is a clear error', async () => {
  const { run, jobId } = h.job();
  await store('broken', Buffer.from('this is not a zip'), run.id, jobId);
  try {
    await extractRunArtifacts(h.blobs.artifacts, run.id, out);
    assert.unreachable();
  } catch (err) {
    assert.ok(isHeliosError(err));
    assert.match(err.message, /artifact broken is not a readable zip/);
  }
});

test.run();
