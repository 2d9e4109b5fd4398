/** The pure parts of the storage actions: @actions/glob rules, LCA, cache version and key checks, inputs. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { leastCommonAncestor } from '../src/actions/artifacts/artifactSearch.js';
import { createZipStream } from '../src/actions/artifacts/zipArchive.js';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { restoreCacheArchive } from '../src/actions/cache/cacheArchive.js';
import { cacheVersion, checkKey, checkRestoreKeys, isExactKeyMatch } from '../src/actions/cache/cacheKeys.js';
import { glob } from '../src/actions/glob.js';
import { getBooleanInput, getInputAsArray, majorVersion } from '../src/actions/inputs.js';

const test = suite('storage action units');
let dir: string;
test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'helios-glob-'));
  for (const d of ['a/b', '.hidden', 'home/.cargo/registry']) mkdirSync(join(dir, d), { recursive: true });
  for (const f of ['a/x.txt', 'a/y.log', 'a/b/z.txt', '.hidden/h.txt', 'c.txt', 'home/.cargo/registry/r']) writeFileSync(join(dir, f), f);
  symlinkSync('.', join(dir, 'a/loop')); // a cycle: the walk must cut it
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

const rel = (paths: string[]) => paths.map((p) => p.slice(dir.length + 1) || '.').sort();
const find = async (input: string, implicitDescendants: boolean, excludeHiddenFiles = false) => rel((await glob(input, { cwd: dir, implicitDescendants, excludeHiddenFiles })).matches);

test('a directory is one match without implicit descendants, and brings its tree with them', async () => {
  assert.equal(await find('a', false), ['a']);
  assert.equal(await find('a', true), ['a', 'a/b', 'a/b/z.txt', 'a/x.txt', 'a/y.log']);
});

test('patterns apply in order: ! removes earlier matches, a later pattern adds back', async () => {
  assert.equal(await find('**/*.txt\n!a/b/**', false), ['.hidden/h.txt', 'a/x.txt', 'c.txt']);
  assert.equal(await find('**/*.txt\n!a/b/**\na/b/z.txt', false), ['.hidden/h.txt', 'a/b/z.txt', 'a/x.txt', 'c.txt']);
  assert.equal(await find('# comment\n\n!! c.txt', false), ['c.txt'], 'double negation includes');
});

test('trailing slash matches directories only; hidden files can be left out; ~ is HOME', async () => {
  assert.equal(await find('a/', false), ['a']);
  assert.equal(await find('c.txt/', false), []);
  assert.equal(await find('**/*.txt', false, true), ['a/b/z.txt', 'a/x.txt', 'c.txt']);
  const home = process.env.HOME;
  process.env.HOME = join(dir, 'home');
  try {
    assert.equal(await find('~/.cargo/registry', false), ['home/.cargo/registry']);
  } finally {
    process.env.HOME = home;
  }
});

test('relative pathing is refused with @actions/glob\'s message; search paths drop nested ones', async () => {
  const refused = await glob('../outside', { cwd: dir, implicitDescendants: false, excludeHiddenFiles: false }).then(() => null, (err: Error) => err.message);
  assert.is(refused, "Invalid pattern '../outside'. Relative pathing '.' and '..' is not allowed.");
  const { searchPaths } = await glob('a/b/*\na/*.txt\n!c.txt', { cwd: dir, implicitDescendants: true, excludeHiddenFiles: false });
  assert.equal(searchPaths, [join(dir, 'a')]);
});

test('least common ancestor of search paths', () => {
  assert.is(leastCommonAncestor(['/x/foo/bar', '/x/foo/voo/two', '/x/foo/mo']), '/x/foo');
  assert.is(leastCommonAncestor(['/foo', '/bar']), '/');
});

test('cache version is getCacheVersion\'s: sha256 of paths|gzip|1.0; key checks', () => {
  const expected = createHash('sha256').update('~/.npm|node_modules|gzip|1.0').digest('hex');
  assert.is(cacheVersion(['~/.npm', 'node_modules'], false), expected);
  assert.is(cacheVersion(['~/.npm', 'node_modules'], true), expected, 'the cross-OS flag only matters on Windows');
  assert.throws(() => checkKey('a,b'), /^Key Validation Error: a,b cannot contain commas\.$/);
  assert.throws(() => checkKey('k'.repeat(513)), /cannot be larger than 512 characters\./);
  checkKey('k'.repeat(512));
  assert.throws(() => checkRestoreKeys(Array.from({ length: 11 }, (_, i) => `k${i}`)), /Keys are limited to a maximum of 10\./);
  assert.ok(isExactKeyMatch('Linux-Key', 'linux-key'));
  assert.not.ok(isExactKeyMatch('key-é', 'key-e'));
  assert.not.ok(isExactKeyMatch('key', undefined));
});

test('inputs: multi-line arrays, YAML core booleans, action major version', () => {
  assert.equal(getInputAsArray({ path: '! a\n\n  b  \n' }, 'path'), ['!a', 'b']);
  assert.throws(() => getInputAsArray({}, 'path', true), /Input required and not supplied: path/);
  assert.is(getBooleanInput({ x: 'True' }, 'x', false), true);
  assert.is(getBooleanInput({}, 'x', true), true);
  assert.throws(() => getBooleanInput({ x: 'yes' }, 'x', false), /YAML 1\.2 "Core Schema"/);
  assert.is(majorVersion('actions/download-artifact@v4'), 4);
  assert.is(majorVersion('actions/download-artifact@v5.0.1'), 5);
  assert.is(majorVersion('actions/download-artifact@0123abc'), null);
});

test('a file that vanished before zipping ends the zip stream with an error (no crash, no hang)', async () => {
  const stream = createZipStream([{ source: join(dir, 'c.txt'), name: 'c.txt' }, { source: join(dir, 'gone.txt'), name: 'gone.txt' }], 6);
  const outcome = await (async () => {
    for await (const _chunk of stream) { /* drain */ }
    return 'ended';
  })().catch((err: Error) => err.message);
  assert.match(outcome, /ENOENT/);
});

test('a cache of zeros restores though it gzips beyond 1000:1 (tar\'s default bomb guard; GNU tar has none)', async () => {
  const size = 64 * 1024 * 1024;
  // One ustar entry `z/zero.bin` of `size` zero bytes, then the end-of-archive blocks.
  const header = Buffer.alloc(512);
  header.write('z/zero.bin', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('00000000000\0', 136);
  header.write('0', 156);
  header.write('ustar\u000000', 257);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  const tarball = Buffer.concat([header, Buffer.alloc(size), Buffer.alloc(1024)]);
  const gz = gzipSync(tarball, { level: 9 });
  assert.ok(tarball.length / gz.length > 1000, `ratio ${tarball.length / gz.length}`);
  const ws = mkdtempSync(join(tmpdir(), 'helios-zero-cache-'));
  try {
    await restoreCacheArchive(Readable.from([gz]), [join(ws, 'z')], ws, join(ws, 'tmp'));
    assert.is(statSync(join(ws, 'z/zero.bin')).size, size);
    assert.ok(readFileSync(join(ws, 'z/zero.bin')).every((b) => b === 0));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test.run();
