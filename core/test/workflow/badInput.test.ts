import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanProblem } from '@helios-ci/sdk';
import { MAX_EXPANDED_NODES, MAX_NESTING_DEPTH, validateWorkflow } from '../../src/workflow/index.js';

const noFiles = async () => null;

/** Validates with a one-second budget; every bad input must end in problems, never a throw or a hang. */
async function check(content: string | Uint8Array): Promise<PlanProblem[]> {
  const started = performance.now();
  const problems = await validateWorkflow({ path: 'bad.yml', content }, noFiles);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(problems.length > 0, 'reports a problem');
  return problems;
}

test('binary content is refused with the position of the first NUL', async () => {
  const p = await check(new Uint8Array([0x6f, 0x6e, 0x3a, 0x0a, 0x00, 0xff]));
  assert.equal([p[0]!.line, p[0]!.col, p[0]!.code], [2, 1, 'E_WORKFLOW_UNREADABLE']);
});

test('non-UTF-8 text is refused with the position of the bad byte', async () => {
  const p = await check(Buffer.from('on: push\nname: gr\xfc\xdf\n', 'latin1'));
  assert.equal([p[0]!.line, p[0]!.col], [2, 9]);
  assert.match(p[0]!.message, /not valid UTF-8/);
});

test('a 5 MB workflow is refused unread', async () => {
  const big = `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n${'      - run: echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'.repeat(80_000)}`;
  assert.ok(big.length > 5_000_000);
  const p = await check(big);
  assert.match(p[0]!.message, /the file is \d\.\d MiB; Helios reads workflow files of at most 1 MiB/);
});

test('a billion-laughs alias bomb is refused at the alias that explodes', async () => {
  let text = 'on: push\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  text += 'jobs:\n  x:\n    runs-on: local\n    steps: [{run: x}]\n';
  const p = await check(text);
  assert.equal(p[0]!.code, 'E_WORKFLOW_REFUSED');
  assert.match(p[0]!.message, new RegExp(`more than ${MAX_EXPANDED_NODES} values`));
  assert.ok(p[0]!.line! >= 3 && p[0]!.line! <= 11);
});

test('deep nesting (block and flow) is refused with a position', async () => {
  let block = 'on: push\njobs:\n';
  for (let i = 0; i < 300; i++) block += `${' '.repeat(i + 2)}k${i}:\n`;
  const p1 = await check(block);
  assert.equal(p1[0]!.code, 'E_WORKFLOW_REFUSED');
  assert.match(p1[0]!.message, new RegExp(`deeper than ${MAX_NESTING_DEPTH} levels`));
  assert.ok(p1[0]!.line !== undefined);
  const p2 = await check(`on: push\njobs: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
  assert.equal(p2[0]!.code, 'E_WORKFLOW_REFUSED');
  assert.ok(p2[0]!.line !== undefined);
});

test('duplicate keys are reported where the second one is', async () => {
  const p = await check('on: push\non: pull_request\njobs:\n  a:\n    runs-on: x\n    steps: [{run: a}]\n');
  assert.equal(p, [{ file: 'bad.yml', line: 2, col: 1, code: 'E_WORKFLOW_SCHEMA', message: "'on' is already defined" }]);
});

test('tabs for indentation are reported at the tab', async () => {
  const p = await check('on: push\njobs:\n  a:\n\truns-on: x\n');
  assert.equal(p, [{ file: 'bad.yml', line: 4, col: 1, code: 'E_WORKFLOW_YAML', message: 'tabs are not allowed for indentation in YAML. Indent with spaces' }]);
});

test('empty and whitespace-only files are problems, not crashes', async () => {
  await check('');
  await check('   \n\n');
  await check('~\n');
});

test.run();
