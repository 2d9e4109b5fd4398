/** actions/cache, /restore and /save through the bundled agent against the in-test storage server. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tar from 'tar';
import type { CompositeStep } from '@helios-ci/sdk';
import { makeSpec, run } from './helpers.js';
import { storageHarness, uses, type StorageHarness } from './storageHarness.js';
import { cacheVersion } from '../src/actions/cache/cacheKeys.js';

const test = suite('actions/cache end to end');
let h: StorageHarness;
test.before(async () => {
  h = await storageHarness();
});
test.after(async () => {
  await h.close();
});

const echoOutputs = (id: string) => run(`echo "hit=[\${{ steps.${id}.outputs.cache-hit }}] primary=[\${{ steps.${id}.outputs.cache-primary-key }}] matched=[\${{ steps.${id}.outputs.cache-matched-key }}]"`, { id: `show_${id}` });

test('miss then exact hit across two jobs; the post step saves only after the miss', async () => {
  const cache = uses('cache', 'actions/cache@v4', { path: 'deps\n', key: 'deps-${{ runner.os }}-1' }, { id: 'c' });
  const first = await h.runJob(makeSpec(h.repo, [cache, echoOutputs('c'), run('mkdir -p deps/sub && echo one > deps/sub/a.txt')]));
  assert.is(first.conclusion, 'success', first.sink.allText());
  assert.equal(first.sink.lines('show_c'), ['hit=[] primary=[] matched=[]']);
  assert.ok(first.sink.lines('c').includes('Cache not found for input keys: deps-Linux-1'));
  assert.equal(first.sink.started.map((s) => s.step).slice(-1), ['__post_c']);
  assert.is(first.sink.step('__post_c').conclusion, 'success');
  assert.is(first.sink.started.find((s) => s.step === '__post_c')?.name, 'Post Run actions/cache@v4');
  assert.ok(first.sink.lines('__post_c').includes('Cache saved with key: deps-Linux-1'), first.sink.lines('__post_c').join('\n'));
  const saved = h.storage.caches.find((c) => c.key === 'deps-Linux-1');
  assert.ok(saved);
  assert.is(saved.version, cacheVersion(['deps'], false));

  const uploadsBefore = h.storage.uploads.length;
  const second = await h.runJob(makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'deps', key: 'deps-${{ runner.os }}-1' }, { id: 'c' }), echoOutputs('c'), run('cat deps/sub/a.txt', { id: 'cat' })]));
  assert.is(second.conclusion, 'success', second.sink.allText());
  assert.equal(second.sink.lines('show_c'), ['hit=[true] primary=[] matched=[]']);
  assert.equal(second.sink.lines('cat'), ['one']);
  assert.ok(second.sink.lines('c').includes('Cache restored from key: deps-Linux-1'));
  assert.ok(second.sink.lines('__post_c').includes('Cache hit occurred on the primary key deps-Linux-1, not saving cache.'));
  assert.is(h.storage.uploads.length, uploadsBefore, 'an exact hit uploads nothing');
});

test('actions/cache inside a composite action registers its post step for the end of the job', async () => {
  const inner = uses('cache', 'actions/cache@v4', { path: 'comp-deps', key: 'composite-${{ inputs.flavour }}' }, { id: 'inner' });
  const composite: CompositeStep = {
    id: 'setup', name: 'Setup', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'composite', uses: './.github/actions/greet',
    with: { flavour: 'mint' }, inputDefaults: {}, outputs: {}, steps: [inner],
  };
  const { sink, conclusion } = await h.runJob(makeSpec(h.repo, [composite, run('mkdir comp-deps && echo c > comp-deps/f', { id: 'make' })]));
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.started.map((s) => s.step), ['__setup', 'setup', 'setup/inner', 'make', '__post_setup/inner']);
  assert.ok(sink.lines('__post_setup/inner').includes('Cache saved with key: composite-mint'), sink.allText());
});

test('restore-keys: newest prefix match, cache-hit false, matched/primary outputs of /restore', async () => {
  const version = cacheVersion(['build'], false);
  const archive = async (content: string) => {
    const dir = join(h.root, `src-${content}`);
    mkdirSync(join(dir, 'build'), { recursive: true });
    writeFileSync(join(dir, 'build/out.txt'), content);
    const chunks: Buffer[] = [];
    for await (const c of tar.c({ gzip: true, cwd: dir, portable: true }, ['build'])) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };
  h.storage.putCache('build-old-1', version, await archive('older'));
  h.storage.putCache('build-old-2', version, await archive('newer'));
  h.storage.putCache('build-other', cacheVersion(['elsewhere'], false), await archive('wrong-version'));
  const spec = makeSpec(h.repo, [
    uses('cache-restore', 'actions/cache/restore@v4', { path: 'build', key: 'build-new', 'restore-keys': 'nomatch-\nbuild-\n' }, { id: 'r' }),
    echoOutputs('r'),
    run('cat build/out.txt', { id: 'cat' }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.lines('show_r'), ['hit=[false] primary=[build-new] matched=[build-old-2]']);
  assert.equal(sink.lines('cat'), ['newer']);
  assert.ok(sink.lines('r').includes('Cache hit for restore-key: build-old-2'));
  assert.equal(h.storage.restoreQueries.at(-1)?.keys, ['build-new', 'nomatch-', 'build-']);
  assert.not.ok(sink.started.some((s) => s.step.startsWith('__post_')), 'actions/cache/restore has no post step');
});

test('a failing job skips the post save; the job conclusion is untouched', async () => {
  const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v3', { path: 'stuff', key: 'fails-1' }, { id: 'c' }), run('mkdir stuff && echo x > stuff/f && exit 4')]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.is(sink.step('__post_c').conclusion, 'skipped');
  assert.not.ok(h.storage.caches.some((c) => c.key === 'fails-1'));
});

test('lookup-only: says whether it exists, restores nothing, cache-hit true', async () => {
  const seed = await h.runJob(makeSpec(h.repo, [run('mkdir -p lk && echo v > lk/f'), uses('cache-save', 'actions/cache/save@v4', { path: 'lk', key: 'lookup-1' })]));
  assert.is(seed.conclusion, 'success', seed.sink.allText());
  const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'lk', key: 'lookup-1', 'lookup-only': 'true' }, { id: 'c' }), echoOutputs('c'), run('test ! -e lk && echo absent', { id: 'chk' })]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.equal(sink.lines('show_c'), ['hit=[true] primary=[] matched=[]']);
  assert.equal(sink.lines('chk'), ['absent']);
  assert.ok(sink.lines('c').includes('Cache found and can be restored from key: lookup-1'));
  assert.is(h.storage.restoreQueries.at(-1)?.lookupOnly, true);
});

test('fail-on-cache-miss fails the step with GitHub\'s message', async () => {
  const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'none', key: 'never-saved', 'fail-on-cache-miss': 'true' }, { id: 'c' })]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'failure');
  assert.is(sink.step('c').outcome, 'failure');
  assert.ok(sink.lines('c').includes('##[error]Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: never-saved'), sink.lines('c').join('\n'));
});

test('~ paths round-trip to the same absolute place, stored relative to the workspace', async () => {
  const save = await h.runJob(makeSpec(h.repo, [run('mkdir -p ~/.toolcache/bin && echo tool > ~/.toolcache/bin/t && ln -s bin/t ~/.toolcache/link'), uses('cache-save', 'actions/cache/save@v4', { path: '~/.toolcache', key: 'home-1' })]));
  assert.is(save.conclusion, 'success', save.sink.allText());
  const entry = h.storage.caches.find((c) => c.key === 'home-1');
  assert.ok(entry);
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new tar.Parser({ onReadEntry: (e) => { names.push(e.path); e.resume(); } });
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(gunzipSync(entry.data));
  });
  assert.ok(names.length > 0 && names.every((n) => n.startsWith('../')), names.join(','));
  const restore = await h.runJob(makeSpec(h.repo, [run('rm -rf ~/.toolcache'), uses('cache', 'actions/cache@v4', { path: '~/.toolcache', key: 'home-1' }, { id: 'c' }), run('cat ~/.toolcache/bin/t; readlink ~/.toolcache/link', { id: 'cat' })]));
  assert.is(restore.conclusion, 'success', restore.sink.allText());
  assert.equal(restore.sink.lines('cat'), ['tool', 'bin/t']);
  assert.is(readFileSync(join(h.home, '.toolcache/bin/t'), 'utf8'), 'tool\n');
});

test('an absolute path outside the workspace round-trips, across file systems where the machine has two', async () => {
  // /dev/shm is a tmpfs here: moving out of the job's temp directory then crosses devices (EXDEV).
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'helios-abs-cache-'));
  try {
    const crossesDevices = statSync(dir).dev !== statSync(h.root).dev;
    const save = await h.runJob(makeSpec(h.repo, [run(`mkdir -p ${dir}/c/sub && echo abs > ${dir}/c/sub/f && ln -s sub/f ${dir}/c/l`), uses('cache-save', 'actions/cache/save@v4', { path: `${dir}/c`, key: 'abs-1' })]));
    assert.is(save.conclusion, 'success', save.sink.allText());
    rmSync(join(dir, 'c'), { recursive: true });
    const restore = await h.runJob(makeSpec(h.repo, [uses('cache-restore', 'actions/cache/restore@v4', { path: `${dir}/c`, key: 'abs-1' }, { id: 'r' })]));
    assert.is(restore.conclusion, 'success', restore.sink.allText());
    assert.ok(restore.sink.lines('r').includes('Cache restored successfully'), `${restore.sink.lines('r').join('\n')} (crosses devices: ${crossesDevices})`);
    assert.is(readFileSync(join(dir, 'c/l'), 'utf8'), 'abs\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a restore stream cut off mid-way restores nothing and is only a warning', async () => {
  const seed = await h.runJob(makeSpec(h.repo, [run('mkdir -p big && head -c 300000 /dev/urandom > big/blob && echo small > big/small'), uses('cache-save', 'actions/cache/save@v4', { path: 'big', key: 'cut-1' })]));
  assert.is(seed.conclusion, 'success', seed.sink.allText());
  h.storage.cutOff.add('cut-1');
  const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'big', key: 'cut-1' }, { id: 'c' }), echoOutputs('c'), run('ls -A big 2>/dev/null | wc -l; ls -A "$RUNNER_TEMP" | grep -c cache-restore || true', { id: 'ls' })]);
  const { sink, conclusion } = await h.runJob(spec);
  h.storage.cutOff.delete('cut-1');
  assert.is(conclusion, 'success', sink.allText());
  assert.ok(sink.lines('c').some((l) => /^##\[warning\]Failed to restore: .*cut off after \d+ of \d+ bytes/.test(l)), sink.lines('c').join('\n'));
  assert.equal(sink.lines('show_c'), ['hit=[] primary=[] matched=[]']);
  assert.equal(sink.lines('ls'), ['0', '0'], 'no file restored, no staging left');
  assert.ok(sink.annotations.some((a) => a.level === 'warning' && a.message.startsWith('Failed to restore:')));
});

test('a cancel or the step timeout stops a restore the server stalls; the post step is skipped', async () => {
  const seed = await h.runJob(makeSpec(h.repo, [run('mkdir -p stall && echo s > stall/f'), uses('cache-save', 'actions/cache/save@v4', { path: 'stall', key: 'stall-1' })]));
  assert.is(seed.conclusion, 'success', seed.sink.allText());
  h.storage.stall.add('stall-1');
  const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'stall', key: 'stall-1' }, { id: 'c' }), run('echo after', { id: 'after' })]);
  const { sink, conclusion } = await h.runJob(spec, (handle, s) => {
    s.onLine = (line) => {
      if (line.startsWith('Cache Size:')) handle.cancel('cancelled by octocat');
    };
  });
  assert.is(conclusion, 'cancelled', sink.allText());
  assert.is(sink.step('after').conclusion, 'skipped');
  assert.is(sink.step('__post_c').conclusion, 'skipped');

  const timed = await h.runJob(makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'stall', key: 'stall-1' }, { id: 'c', timeoutMinutes: 0.02 })]));
  h.storage.stall.delete('stall-1');
  assert.is(timed.conclusion, 'failure', timed.sink.allText());
  assert.ok(timed.sink.lines('c').includes('##[error]The step exceeded its timeout of 0.02 minutes'), timed.sink.lines('c').join('\n'));
  assert.is(timed.sink.step('__post_c').conclusion, 'skipped');
});

test('a server without storage: restore and save only warn (the job succeeds), as GitHub does when the cache service fails', async () => {
  h.storage.failWith = { code: 12, details: 'this server has no storage configured' };
  try {
    const spec = makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'nostore', key: 'nostore-1' }, { id: 'c' }), echoOutputs('c'), run('mkdir nostore && echo x > nostore/f')]);
    const { sink, conclusion } = await h.runJob(spec);
    assert.is(conclusion, 'success', sink.allText());
    assert.ok(sink.lines('c').includes('##[warning]Failed to restore: RestoreCache failed: this server has no storage configured'), sink.lines('c').join('\n'));
    assert.equal(sink.lines('show_c'), ['hit=[] primary=[] matched=[]']);
    assert.ok(sink.lines('__post_c').includes('##[warning]Failed to save: UploadCache failed: this server has no storage configured'), sink.lines('__post_c').join('\n'));
    assert.is(sink.step('__post_c').conclusion, 'success');
  } finally {
    h.storage.failWith = null;
  }
});

test('an archive entry outside the step\'s paths is refused and nothing is restored', async () => {
  const dir = join(h.root, 'evil-src');
  mkdirSync(join(dir, 'ws/deps'), { recursive: true });
  writeFileSync(join(dir, 'ws/deps/ok.txt'), 'ok');
  writeFileSync(join(dir, 'escaped.txt'), 'evil');
  const chunks: Buffer[] = [];
  for await (const c of tar.c({ gzip: true, cwd: join(dir, 'ws'), preservePaths: true, portable: true }, ['deps', '../escaped.txt'])) chunks.push(c as Buffer);
  h.storage.putCache('evil-1', cacheVersion(['deps'], false), Buffer.concat(chunks));
  const { sink, conclusion, workspace } = await h.runJob(makeSpec(h.repo, [uses('cache', 'actions/cache@v4', { path: 'deps', key: 'evil-1' }, { id: 'c' })]));
  assert.is(conclusion, 'success', sink.allText());
  assert.ok(sink.lines('c').some((l) => l.includes('outside the paths of this step; nothing was restored')), sink.lines('c').join('\n'));
  assert.not.ok(existsSync(join(workspace, 'deps')));
  assert.not.ok(existsSync(join(workspace, '..', 'escaped.txt')));
});

test('key validation: commas and 513 characters fail a restore; a save only warns', async () => {
  const long = 'k'.repeat(513);
  const spec = makeSpec(h.repo, [
    uses('cache', 'actions/cache@v4', { path: 'x', key: 'a,b' }, { id: 'comma', continueOnError: true }),
    uses('cache-restore', 'actions/cache/restore@v4', { path: 'x', key: long }, { id: 'long', continueOnError: true }),
    uses('cache-restore', 'actions/cache/restore@v4', { path: 'x', key: 'ok', 'restore-keys': Array.from({ length: 10 }, (_, i) => `r${i}`).join('\n') }, { id: 'many', continueOnError: true }),
    uses('cache-save', 'actions/cache/save@v4', { path: 'x', key: 'c,d' }, { id: 'save' }),
    uses('cache-restore', 'actions/cache/restore@v4', { key: 'nopath' }, { id: 'nopath', continueOnError: true }),
  ]);
  const { sink, conclusion } = await h.runJob(spec);
  assert.is(conclusion, 'success', sink.allText());
  assert.is(sink.step('comma').outcome, 'failure');
  assert.ok(sink.lines('comma').includes('##[error]Key Validation Error: a,b cannot contain commas.'));
  assert.ok(sink.lines('long').includes(`##[error]Key Validation Error: ${long} cannot be larger than 512 characters.`));
  assert.ok(sink.lines('many').includes('##[error]Key Validation Error: Keys are limited to a maximum of 10.'));
  assert.is(sink.step('save').outcome, 'success');
  assert.equal(sink.lines('save'), ['[warning]Key Validation Error: c,d cannot contain commas.', '##[warning]Cache save failed.']);
  assert.ok(sink.lines('nopath').includes('##[error]Input required and not supplied: path'));
});

test('a save the server does not keep (key exists) is a warning; uploads stream in chunks of at most 1 MiB', async () => {
  const script = 'mkdir -p dup && head -c 3000000 /dev/urandom > dup/blob';
  const first = await h.runJob(makeSpec(h.repo, [run(script), uses('cache-save', 'actions/cache/save@v4', { path: 'dup', key: 'dup-1' })]));
  assert.is(first.conclusion, 'success', first.sink.allText());
  const upload = h.storage.uploads.at(-1)!;
  assert.ok(upload.bytes > 2 * 1024 * 1024 && upload.maxChunk <= 1024 * 1024, JSON.stringify(upload));
  const second = await h.runJob(makeSpec(h.repo, [run(script), uses('cache-save', 'actions/cache/save@v4', { path: 'dup', key: 'dup-1' }, { id: 'save' })]));
  assert.is(second.conclusion, 'success', second.sink.allText());
  assert.ok(second.sink.lines('save').includes('##[warning]Cache reservation failed: cache entry dup-1 already exists'), second.sink.lines('save').join('\n'));
  assert.ok(second.sink.lines('save').includes('##[warning]Cache save failed.'));
});

test.run();
