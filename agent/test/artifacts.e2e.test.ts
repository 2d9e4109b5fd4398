/** actions/upload-artifact and actions/download-artifact through the bundled agent and the in-test storage server. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as yauzl from 'yauzl';
import yazl from 'yazl';
import { makeSpec, run } from './helpers.js';
import { storageHarness, uses, type StorageHarness } from './storageHarness.js';

const test = suite('artifacts end to end');
let h: StorageHarness;
test.before(async () => {
  h = await storageHarness();
});
test.after(async () => {
  await h.close();
});

/** Entry names of a zip held in memory. */
function zipNames(data: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(data, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

const MAKE_FILES = 'mkdir -p out/a/deep out/b out/.hid && echo 1 > out/a/1.txt && echo d > out/a/deep/d.txt && echo no > out/a/skip.log && echo 2 > out/b/2.txt && echo h > out/.hid/h.txt && echo h > out/a/.dot';

test('upload: globs, exclusions, hidden files left out, root = least common ancestor; download by name', async () => {
  const runId = 'run-upload-lca';
  const up = await h.runJob(
    makeSpec(h.repo, [run(MAKE_FILES), uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'bundle', path: 'out/a/\nout/b/*.txt\n!**/*.log\n', 'retention-days': '3', 'compression-level': '0' }, { id: 'up' }), run('echo "id=${{ steps.up.outputs.artifact-id }} digest=${{ steps.up.outputs.artifact-digest }}"', { id: 'id' })], {}, { runId }),
  );
  assert.is(up.conclusion, 'success', up.sink.allText());
  const stored0 = h.storage.artifacts.get(runId)?.get('bundle');
  assert.equal(up.sink.lines('id'), [`id=bundle digest=${createHash('sha256').update(stored0 ?? '').digest('hex')}`]);
  assert.ok(up.sink.lines('up').includes('With the provided path, there will be 3 files uploaded'), up.sink.lines('up').join('\n'));
  assert.ok(up.sink.lines('up').some((l) => /^The least common ancestor is .*\/widget\/out\. This will be the root directory of the artifact$/.test(l)), up.sink.lines('up').join('\n'));
  const stored = h.storage.artifacts.get(runId)?.get('bundle');
  assert.ok(stored);
  assert.equal(await zipNames(stored), ['a/1.txt', 'a/deep/d.txt', 'b/2.txt']);
  const header = h.storage.uploads.at(-1)!.header;
  assert.equal([header.name, header.retentionDays, header.overwrite], ['bundle', 3, false]);

  const down = await h.runJob(
    makeSpec(h.repo, [uses('download-artifact', 'actions/download-artifact@v4', { name: 'bundle', path: 'got' }, { id: 'dl' }), run('find got -type f | sort; cat got/a/deep/d.txt; echo "path=${{ steps.dl.outputs.download-path }}"', { id: 'ls' })], {}, { runId }),
  );
  assert.is(down.conclusion, 'success', down.sink.allText());
  assert.equal(down.sink.lines('ls'), ['got/a/1.txt', 'got/a/deep/d.txt', 'got/b/2.txt', 'd', `path=${join(down.workspace, 'got')}`]);
});

test('upload: a single file named exactly is stored under its own name; include-hidden-files; v3 keeps dot files', async () => {
  const runId = 'run-upload-single';
  const spec = makeSpec(h.repo, [
    run(MAKE_FILES),
    uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'one', path: 'out/a/1.txt' }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'hidden', path: 'out', 'include-hidden-files': 'true' }),
    uses('upload-artifact', 'actions/upload-artifact@v3', { name: 'v3-default', path: 'out/a' }),
  ], {}, { runId });
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(await zipNames(h.storage.artifacts.get(runId)!.get('one')!), ['1.txt']);
  assert.equal(await zipNames(h.storage.artifacts.get(runId)!.get('hidden')!), ['.hid/h.txt', 'a/.dot', 'a/1.txt', 'a/deep/d.txt', 'a/skip.log', 'b/2.txt']);
  assert.equal(await zipNames(h.storage.artifacts.get(runId)!.get('v3-default')!), ['.dot', '1.txt', 'deep/d.txt', 'skip.log'], 'v3 kept dot files by default');
});

test('if-no-files-found: error fails, warn warns, ignore is quiet; bad inputs fail clearly', async () => {
  const spec = makeSpec(h.repo, [
    uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'nothing/here', 'if-no-files-found': 'error' }, { id: 'err', continueOnError: true }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'nothing/here' }, { id: 'warn' }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'nothing/here', 'if-no-files-found': 'ignore' }, { id: 'ign' }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'README.md', name: 'a/b' }, { id: 'badname', continueOnError: true }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'README.md', 'compression-level': '11' }, { id: 'badlevel', continueOnError: true }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  const msg = 'No files were found with the provided path: nothing/here. No artifacts will be uploaded.';
  assert.is(sink.step('err').outcome, 'failure');
  assert.ok(sink.lines('err').includes(`##[error]${msg}`));
  assert.ok(sink.lines('warn').includes(`##[warning]${msg}`));
  assert.ok(sink.lines('ign').includes(msg));
  assert.is(sink.step('ign').outcome, 'success');
  assert.ok(sink.lines('badname').some((l) => l.startsWith('##[error]The artifact name is not valid: a/b. Contains the following character:  Forward slash /')), sink.lines('badname').join('\n'));
  assert.ok(sink.lines('badlevel').includes('##[error]Invalid compression-level. Valid values are 0-9'));
});

test('same name twice fails unless overwrite: true', async () => {
  const runId = 'run-overwrite';
  const spec = makeSpec(h.repo, [
    run('echo v1 > f.txt'),
    uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'dup', path: 'f.txt' }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'dup', path: 'f.txt' }, { id: 'again', continueOnError: true }),
    uses('upload-artifact', 'actions/upload-artifact@v4', { name: 'dup', path: 'f.txt', overwrite: 'true' }, { id: 'over' }),
  ], {}, { runId });
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.is(sink.step('again').outcome, 'failure');
  assert.ok(sink.lines('again').includes('##[error]Failed to upload artifact dup: an artifact named dup already exists in this run'));
  assert.is(sink.step('over').outcome, 'success');
});

test('download: pattern with and without merge-multiple, and all artifacts into <path>/<name>/', async () => {
  const runId = 'run-many';
  h.storage.putArtifact(runId, 'bin-linux', await zipOf({ 'linux.bin': 'L', 'common.txt': 'from linux' }));
  h.storage.putArtifact(runId, 'bin-mac', await zipOf({ 'mac.bin': 'M', 'sub/x.txt': 'x' }));
  h.storage.putArtifact(runId, 'docs', await zipOf({ 'index.html': '<p>' }));
  const spec = makeSpec(h.repo, [
    uses('download-artifact', 'actions/download-artifact@v4', { pattern: 'bin-*', path: 'merged', 'merge-multiple': 'true' }),
    uses('download-artifact', 'actions/download-artifact@v4', { pattern: 'bin-*', path: 'split' }),
    uses('download-artifact', 'actions/download-artifact@v4', {}, { id: 'all' }),
    uses('download-artifact', 'actions/download-artifact@v5', { pattern: 'doc*', path: 'single' }),
    run('find merged split bin-linux bin-mac docs single -type f | sort', { id: 'ls' }),
  ], {}, { runId });
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.lines('ls'), [
    'bin-linux/common.txt', 'bin-linux/linux.bin', 'bin-mac/mac.bin', 'bin-mac/sub/x.txt', 'docs/index.html',
    'merged/common.txt', 'merged/linux.bin', 'merged/mac.bin', 'merged/sub/x.txt',
    'single/index.html',
    'split/bin-linux/common.txt', 'split/bin-linux/linux.bin', 'split/bin-mac/mac.bin', 'split/bin-mac/sub/x.txt',
  ]);
  assert.ok(sink.lines('all').includes('Total of 3 artifact(s) downloaded'));
});

test('download: a zip-slip archive is refused and writes nothing; a missing name fails', async () => {
  const runId = 'run-slip';
  // yazl refuses '..' names, so the bytes are patched: same length, and the CRC does not cover names.
  const clean = await zipOf({ 'fine.txt': 'ok', 'xx/evil.txt': 'pwned' });
  h.storage.putArtifact(runId, 'slip', Buffer.from(clean.toString('latin1').replaceAll('xx/evil.txt', '../evil.txt'), 'latin1'));
  const spec = makeSpec(h.repo, [
    uses('download-artifact', 'actions/download-artifact@v4', { name: 'slip', path: 'in/deeper' }, { id: 'slip', continueOnError: true }),
    uses('download-artifact', 'actions/download-artifact@v4', { name: 'nope' }, { id: 'nope', continueOnError: true }),
    run('ls -A in 2>/dev/null | wc -l', { id: 'ls' }),
  ], {}, { runId });
  const { sink, conclusion, workspace } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.is(sink.step('slip').outcome, 'failure');
  assert.ok(sink.lines('slip').some((l) => l.startsWith('##[error]Unable to download artifact(s): the artifact archive was refused') && l.includes('../evil.txt')), sink.lines('slip').join('\n'));
  assert.equal(sink.lines('ls'), ['0']);
  assert.not.ok(existsSync(join(workspace, 'in/evil.txt')));
  assert.ok(sink.lines('nope').includes("##[error]Unable to download artifact(s): Artifact 'nope' not found"));
});

test('a server without storage: upload and download fail the step with the server\'s reason', async () => {
  h.storage.failWith = { code: 12, details: 'this server has no storage configured' };
  try {
    const spec = makeSpec(h.repo, [
      uses('upload-artifact', 'actions/upload-artifact@v4', { path: 'README.md' }, { id: 'up', continueOnError: true }),
      uses('download-artifact', 'actions/download-artifact@v4', {}, { id: 'dl', continueOnError: true }),
    ]);
    const { sink, conclusion } = await h.runJob(spec);
    assert.is(conclusion, 'success', sink.allText());
    assert.ok(sink.lines('up').includes('##[error]UploadArtifact failed: this server has no storage configured'), sink.lines('up').join('\n'));
    assert.ok(sink.lines('dl').includes('##[error]Unable to download artifact(s): ListArtifacts failed: this server has no storage configured'), sink.lines('dl').join('\n'));
  } finally {
    h.storage.failWith = null;
  }
});

test('download path with ~ goes to the home directory', async () => {
  const runId = 'run-home';
  h.storage.putArtifact(runId, 'h', await zipOf({ 'home.txt': 'at home' }));
  const { sink, conclusion } = await h.runJob(makeSpec(h.repo, [uses('download-artifact', 'actions/download-artifact@v4', { name: 'h', path: '~/dl' }, { id: 'dl' }), run('echo "${{ steps.dl.outputs.download-path }}"', { id: 'p' })], {}, { runId }));
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.lines('p'), [join(h.home, 'dl')]);
  assert.is(readFileSync(join(h.home, 'dl/home.txt'), 'utf8'), 'at home');
});

test.run();
