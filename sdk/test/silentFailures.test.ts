// A failing test must turn the run red at every level: the error type (uvu's reporter must be able
// to print it), the sdk's conformance suites (what third parties run) and the project's test runner
// (scripts/run-tests.mjs). Each case runs a real uvu file in a child process and reads its result.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');
const uvuUrl = import.meta.resolve('uvu');
const sdkUrl = pathToFileURL(join(repoRoot, 'sdk/dist/src/index.js')).href;
const testkitUrl = pathToFileURL(join(repoRoot, 'sdk/dist/src/testkit/index.js')).href;

function runUvuFile(body: string): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-silent-'));
  try {
    const file = join(dir, 'case.test.mjs');
    writeFileSync(file, body);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a HeliosError with object facts is reported as a failure by uvu (exit 1, the other test still runs)', () => {
  const { code, out } = runUvuFile(`
import { test } from '${uvuUrl}';
import { HeliosError } from '${sdkUrl}';
test('x', () => { throw new HeliosError('E_INTERNAL', 'boom', { facts: { a: 1 } }); });
test('y', () => {});
test.run();
`);
  assert.is(code, 1, out);
  assert.match(out, /\(1 \/ 2\)/);
  assert.match(out, /boom/);
  assert.match(out, /Passed:\s+1/);
});

test('a conformance suite reports a third-party error whose details is an object (uvu alone would crash and exit 0)', () => {
  const body = (wrap: boolean) => `
import { suite } from '${uvuUrl}';
import { conformanceSuite } from '${testkitUrl}';
const boom = () => { const e = new Error('backend exploded'); e.details = { status: 500 }; throw e; };
${wrap
    ? `conformanceSuite('third party', async () => ({ subject: {} }), [{ name: 'x', run: async () => boom() }, { name: 'y', run: async () => {} }]).run();`
    : `const s = suite('bare'); s('x', () => boom()); s('y', () => {}); s.run();`}
`;
  const bare = runUvuFile(body(false));
  // The defect the wrapper exists for: plain uvu swallows this failure.
  assert.is(bare.code, 0, 'uvu itself no longer hides this failure; the conformance wrapper may be unnecessary');
  assert.match(bare.out, /\(0 \/ 2\)/);
  const wrapped = runUvuFile(body(true));
  assert.is(wrapped.code, 1, wrapped.out);
  assert.match(wrapped.out, /backend exploded \{"status":500\}/);
  assert.match(wrapped.out, /\(1 \/ 2\)/);
});

test('a conformance suite reports a thrown string and a failing create()', () => {
  const { code, out } = runUvuFile(`
import { conformanceSuite } from '${testkitUrl}';
conformanceSuite('odd throws', async () => ({ subject: {} }), [{ name: 'string', run: async () => { throw 'just a string'; } }]).run();
conformanceSuite('bad create', async () => { throw new Error('cannot build subject'); }, [{ name: 'any', run: async () => {} }]).run();
`);
  assert.is(code, 1, out);
  assert.match(out, /non-Error value thrown: "just a string"/);
  assert.match(out, /cannot build subject/);
});

function runRunner(files: Record<string, string>): { code: number | null; out: string } {
  const project = mkdtempSync(join(tmpdir(), 'helios-runner-'));
  try {
    writeFileSync(join(project, 'package.json'), JSON.stringify({ workspaces: ['pkg'] }));
    for (const [name, body] of Object.entries(files)) {
      const file = join(project, 'pkg/dist/test', name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, body);
    }
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/run-tests.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, HELIOS_TEST_ROOT: project, CI: 'false', HELIOS_TEST_STRICT: '0' },
    });
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

test('the test runner fails a file whose reporter crashed (exit 0, Passed + Skipped < Total)', () => {
  const { code, out } = runRunner({
    'crash.test.js': `
import { test } from '${uvuUrl}';
test('x', () => { const e = new Error('hidden'); e.details = { a: 1 }; throw e; });
test('y', () => {});
test.run();
`,
    'fine.test.js': `import { test } from '${uvuUrl}'; test('ok', () => {}); test.run();`,
  });
  assert.is(code, 1, out);
  assert.match(out, /✘ pkg\/dist\/test\/crash\.test\.js: failed \(2 of 2 tests neither passed nor skipped/);
  assert.match(out, /✔ pkg\/dist\/test\/fine\.test\.js: 1 passed/);
  assert.match(out, /1 passed, 2 failed, 0 skipped/);
});

test('the test runner fails a file that ran no tests, and one that never printed a summary', () => {
  const { code, out } = runRunner({
    'empty.test.js': `import { test } from '${uvuUrl}'; test.run();`,
    'silent.test.js': `console.log('no uvu here');`,
  });
  assert.is(code, 1, out);
  assert.match(out, /empty\.test\.js: failed \(ran 0 tests/);
  assert.match(out, /silent\.test\.js: failed \(no uvu summary/);
});

test('the test runner passes a clean project (the checks above are not always red)', () => {
  const { code, out } = runRunner({ 'a.test.js': `import { test } from '${uvuUrl}'; test('ok', () => {}); test('ok2', () => {}); test.run();` });
  assert.is(code, 0, out);
  assert.match(out, /2 passed, 0 failed, 0 skipped/);
});

test.run();
