import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PlanProblem } from '@helios-ci/sdk';
import { Alias } from 'yaml';
import { MAX_ALIAS_EXPANSIONS, MAX_EXPANDED_NODES, MAX_NESTING_DEPTH, MAX_NODES, validateWorkflow } from '../../src/workflow/index.js';
import { parseWorkflow } from '../../src/workflow/parseWorkflow.js';
import { aliasHeavyWorkflow } from './heavyWorkflows.js';

const noFiles = async () => null;

/**
 * Every bad input must end in problems, never a throw. That it ends quickly is shown by what the
 * guard counted (tests below), not by a clock: this machine is shared and noisy.
 */
async function check(content: string | Uint8Array): Promise<PlanProblem[]> {
  const problems = await validateWorkflow({ path: 'bad.yml', content }, noFiles);
  assert.ok(problems.length > 0, 'reports a problem');
  return problems;
}

/** Counts calls of yaml's Alias.resolve, which walks the whole document on every call. */
async function countingAliasResolves<T>(fn: () => Promise<T>): Promise<{ value: T; resolves: number }> {
  const original = Alias.prototype.resolve;
  let resolves = 0;
  Alias.prototype.resolve = function (this: Alias, ...args: Parameters<Alias['resolve']>) {
    resolves++;
    return original.apply(this, args);
  };
  try {
    return { value: await fn(), resolves };
  } finally {
    Alias.prototype.resolve = original;
  }
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

test('a billion-laughs alias bomb is refused at the alias that explodes, counting stopped at the limit', async () => {
  let text = 'on: push\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
  text += 'jobs:\n  x:\n    runs-on: local\n    steps: [{run: x}]\n';
  const p = await check(text);
  assert.equal(p[0]!.code, 'E_WORKFLOW_REFUSED');
  assert.match(p[0]!.message, new RegExp(`would be expanded \\d+ times \\(limit: ${MAX_ALIAS_EXPANSIONS} alias expansions per file\\)`));
  // a5's first alias (line 7) carries the count over the limit: a4 alone expands 7,381 aliases.
  assert.equal([p[0]!.line, p[0]!.col], [7, 10]);
  const { value: w, resolves } = await countingAliasResolves(() => parseWorkflow('bad.yml', text));
  // Counting stopped at the alias that crossed the limit (the full expansion is about 9^10), and
  // GitHub's reader never ran: nothing expanded an alias.
  assert.ok(w.shape!.aliasExpansions > MAX_ALIAS_EXPANSIONS && w.shape!.aliasExpansions < 2 * MAX_ALIAS_EXPANSIONS, `counted ${w.shape!.aliasExpansions}`);
  assert.is(w.aliasExpansions, 0);
  assert.is(resolves, 0);
});

test('aliases that expand past the value limit are refused with the number counted', async () => {
  // 400 jobs × 20 steps: 7,790 alias expansions (under that limit) but 100,176 values once expanded.
  const w = await parseWorkflow('bad.yml', aliasHeavyWorkflow(400));
  assert.equal(w.problems.map((p) => p.code), ['E_WORKFLOW_REFUSED']);
  assert.match(w.problems[0]!.message, new RegExp(`expand the document to ${w.shape!.expandedNodes} values \\(limit: ${MAX_EXPANDED_NODES} values after alias expansion`));
  assert.ok(w.shape!.expandedNodes > MAX_EXPANDED_NODES && w.shape!.expandedNodes < MAX_EXPANDED_NODES + 1000, `counted ${w.shape!.expandedNodes}`);
  assert.is(w.aliasExpansions, 0, 'refused before GitHub\'s reader expanded anything');
});

test('hundreds of jobs reusing anchored steps are planned with every alias resolved from one walk', async () => {
  // The file that froze the server: yaml's Alias.resolve walks the whole document on every call,
  // and GitHub's reader called it for every copy of every alias (aliases × document size).
  const text = aliasHeavyWorkflow(200);
  const { value: w, resolves } = await countingAliasResolves(() => parseWorkflow('ok.yml', text));
  assert.equal(w.problems, []);
  assert.is(w.template!.jobs.length, 200);
  // 199 copies of the step list, each with 20 env aliases, plus the 20 in the original list.
  assert.is(w.shape!.aliasExpansions, 199 * 21 + 20);
  assert.is(w.aliasExpansions, w.shape!.aliasExpansions, 'the reader expanded exactly what the guard counted');
  assert.is(resolves, 0, 'no alias was resolved by a whole-document walk');
});

test('a large workflow without aliases is refused for its size, not called an alias bomb', async () => {
  const text = `on: push\njobs:\n  a:\n    runs-on: local\n    steps: [{run: x}]\nx-data: [${Array(MAX_NODES + 10).fill('1').join(',')}]\n`;
  assert.ok(text.length < 1024 * 1024);
  const p = await check(text);
  assert.is(p.length, 1);
  assert.equal(p[0]!.code, 'E_WORKFLOW_REFUSED');
  assert.match(p[0]!.message, new RegExp(`more than ${MAX_NODES} values \\(limit: values per file; counted ${MAX_NODES + 1} before stopping\\)`));
  assert.not.match(p[0]!.message, /alias/);
  assert.is(p[0]!.line, 6, 'at the value where counting crossed the limit');
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
