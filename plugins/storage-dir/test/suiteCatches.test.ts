// The Storage conformance suite must fail a backend that breaks the contract: each case here runs the
// suite (in a child process, as a plugin's test file would) against storage-dir with one deliberate
// defect, and checks that the run fails and names the case that guards against that defect.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const here = dirname(fileURLToPath(import.meta.url));
const testkitUrl = import.meta.resolve('@helios-ci/sdk/testkit');
const harnessUrl = pathToFileURL(join(here, 'dirHarness.js')).href;
const pluginUrl = pathToFileURL(join(here, '../src/index.js')).href;

async function runMutant(body: string): Promise<{ code: number | null; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'helios-storage-mutant-'));
  try {
    const file = join(dir, 'mutant.test.mjs');
    await writeFile(
      file,
      `import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { storageConformance } from ${JSON.stringify(testkitUrl)};
import { dirHarness } from ${JSON.stringify(harnessUrl)};
import { DirStorage } from ${JSON.stringify(pluginUrl)};
class Mutant extends DirStorage {
${body}
}
storageConformance('mutant', () => dirHarness(undefined, (o) => new Mutant(o))).run();
`,
    );
    const child = spawn(process.execPath, [file], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, out };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function expectCaught(body: string, caseNames: string[]): Promise<void> {
  const { code, out } = await runMutant(body);
  assert.is(code, 1, `the suite passed a broken backend:\n${out}`);
  for (const name of caseNames) assert.ok(out.includes(`FAIL  Storage conformance: mutant  "${name}`), `"${name}" did not fail:\n${out}`);
}

test('a clone that is the image itself (writes reach the image)', () =>
  expectCaught(
    `async cloneImage(image, jobId) {
  const v = await super.cloneImage(image, jobId);
  return { ...v, location: join(this.root, 'images', image) };
}`,
    ['cloneImage: the clone holds the image'],
  ));

test('a release that fails when the volume is already gone', () =>
  expectCaught(
    `async release(v) {
  if (!(await this.list()).some((r) => r.id === v.id)) throw new Error('no such volume');
  return super.release(v);
}`,
    ['list reports a clone with its job; release removes it; release twice is fine'],
  ));

test('a blob written in place, without an upload and a rename', () =>
  expectCaught(
    `async writeBlob(kind, data, options) {
  const id = 'blobs/' + kind + '/0123456789abcdef.' + randomBytes(16).toString('hex');
  await this.list();
  const fh = await open(join(this.root, id), 'w');
  let size = 0;
  try {
    for await (const c of data) { await fh.write(c); size += c.length; }
  } finally {
    await fh.close();
  }
  return { id, kind, size };
}`,
    ['a stream that throws midway', 'a crash mid-upload'],
  ));

test('a warm clone that is the head itself (no copy)', () =>
  expectCaught(
    `async openWarm(head, jobId) {
  const v = await super.openWarm(head, jobId);
  if (head && (await this.list()).some((r) => r.id === head)) return { ...v, location: join(this.root, head) };
  return v;
}`,
    ['commitWarm makes a head', 'removing an older head breaks neither'],
  ));

test('bad job ids quietly replaced instead of refused', () =>
  expectCaught(
    `async openWarm(head, jobId) {
  try {
    return await super.openWarm(head, jobId);
  } catch (err) {
    if (err.code !== 'E_STORAGE_NAME_INVALID' || head !== null) throw err;
    return super.openWarm(null, 'sanitised-' + randomBytes(4).toString('hex'));
  }
}`,
    ['malformed job ids and image names are E_STORAGE_NAME_INVALID'],
  ));

test.run();
