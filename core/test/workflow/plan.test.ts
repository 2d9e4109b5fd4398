import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_TIMER_MS, timerDelayMs, type PlanEvent } from '@helios-ci/sdk';
import { DEFAULT_LABELS, parseWorkflow, plan, runPlanErrors } from '../../src/workflow/index.js';
import { corpusDir, fixtureReader, repoRootDir } from './fixtures.js';

const readFile = fixtureReader(join(corpusDir, 'valid'));
const run = (content: string, event: PlanEvent = { name: 'push', ref: 'refs/heads/main' }, labels: readonly string[] = DEFAULT_LABELS) =>
  plan({ files: [{ path: '.github/workflows/ci.yml', content }], event, labels, readFile });

const simple = (runsOn: string, extra = '') => `on: push\n${extra}jobs:\n  build:\n    runs-on: ${runsOn}\n    steps:\n      - run: make\n`;

test('an unknown runs-on label is a plan problem naming the labels that exist', async () => {
  const r = await run(simple('macos-latest'), undefined, ['illumos', 'local']);
  assert.equal(r.jobs, []);
  assert.equal(r.problems, [
    { file: '.github/workflows/ci.yml', line: 4, col: 14, code: 'E_WORKFLOW_RUNS_ON', message: 'job "build": runs-on label "macos-latest" is not served by any configured runtime; labels available: illumos, local. Change runs-on or configure a runtime with that label' },
  ]);
  assert.equal(runPlanErrors(r), []);
});

test('runs-on labels match case-insensitively and keep their spelling', async () => {
  const r = await run(simple('[Self-Hosted, ILLUMOS]'));
  assert.equal(r.jobs[0]!.runsOn, ['Self-Hosted', 'ILLUMOS']);
});

test('runs-on reading needs outputs cannot be planned and says why', async () => {
  const text = `on: push\njobs:\n  a:\n    runs-on: local\n    outputs: { r: x }\n    steps: [{run: x}]\n  b:\n    needs: a\n    runs-on: \${{ needs.a.outputs.r }}\n    steps: [{run: x}]\n`;
  const r = await run(text);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, 9);
  assert.match(r.problems[0]!.message, /exist only once jobs run/);
});

test('workflow_dispatch: missing required input, bad choice, bad boolean, unknown input', async () => {
  const text = `on:\n  workflow_dispatch:\n    inputs:\n      env:\n        description: e\n        required: true\n      kind:\n        description: k\n        type: choice\n        options: [a, b]\n        default: a\n      flag:\n        description: f\n        type: boolean\njobs:\n  x:\n    runs-on: local\n    steps: [{run: x}]\n`;
  const r = await run(text, { name: 'workflow_dispatch', ref: 'refs/heads/main', inputs: { kind: 'c', flag: 'yes', other: '1' } });
  assert.equal(r.jobs, []);
  assert.equal(r.problems.map((p) => [p.line, p.message.split(';')[0]]), [
    [2, 'input "other" is not defined by on.workflow_dispatch.inputs (defined: env, kind, flag)'],
    [4, 'input "env" is required and has no default'],
    [7, 'input "kind" must be one of a, b'],
    [12, 'input "flag" is a boolean'],
  ]);
});

test('push filters: a branch filter alone skips tags, a tag filter alone skips branches, paths ignored for tags', async () => {
  const branches = simple('local', '').replace('on: push', 'on:\n  push:\n    branches: [main]\n    paths: [src/**]');
  assert.equal((await run(branches, { name: 'push', ref: 'refs/tags/v1' })).workflows.length, 0);
  assert.equal((await run(branches, { name: 'push', ref: 'refs/heads/main', changedFiles: ['src/a.c'] })).workflows.length, 1);
  assert.equal((await run(branches, { name: 'push', ref: 'refs/heads/main', changedFiles: ['doc/a.md'] })).workflows.length, 0);
  assert.equal((await run(branches, { name: 'push', ref: 'refs/heads/main' })).workflows.length, 1, 'unknown changes: filters match');
  const tags = simple('local').replace('on: push', 'on:\n  push:\n    tags: [v*]\n    paths: [src/**]');
  assert.equal((await run(tags, { name: 'push', ref: 'refs/heads/main' })).workflows.length, 0);
  assert.equal((await run(tags, { name: 'push', ref: 'refs/tags/v1', changedFiles: ['doc/x'] })).workflows.length, 1);
});

test('pull_request_target is refused even when the event is push', async () => {
  const r = await run(simple('local').replace('on: push', 'on: [push, pull_request_target]'));
  assert.equal(r.jobs, []);
  assert.match(r.problems[0]!.message, /pull_request_target is not supported: it runs with the base repository's secrets/);
});

test('job if stays an expression, timeout defaults to 360, secretNames lists what the job reads', async () => {
  const text = `on: push\nenv:\n  W: \${{ secrets.WIDE }}\njobs:\n  build:\n    if: github.event_name == 'push' && secrets.X != ''\n    runs-on: local\n    steps:\n      - run: echo \${{ secrets.B }} \${{ secrets['A'] }}\n        env:\n          C: \${{ secrets.C }}\n`;
  const r = await run(text);
  // GitHub rejects secrets in job-level if, so use only the step part:
  assert.equal(r.problems.length, 1);
  const ok = await run(text.replace(" && secrets.X != ''", ''));
  const job = ok.jobs[0]!;
  assert.equal(job.if, "github.event_name == 'push'");
  assert.equal(job.timeoutMinutes, 360);
  assert.equal(job.secretNames, ['A', 'B', 'C', 'WIDE']);
});

test('parseWorkflow exposes the workflow name and problems without planning', async () => {
  const w = await parseWorkflow('x.yml', 'name: X\non: push\njobs:\n  a:\n    runs-on: local\n    steps: [{run: a}]\n');
  assert.equal(w.name, 'X');
  assert.equal(w.problems, []);
  const bad = await parseWorkflow('y.yml', 'on: push\njobs: {}\n');
  assert.ok(bad.problems.length > 0);
});

test('the bundled parser loads on plain node (no loader, no flags)', () => {
  const entry = join(repoRootDir, 'core/dist/src/workflow/index.js');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(entry)}); const w = await m.parseWorkflow('a.yml', 'on: push\\njobs:\\n  a:\\n    runs-on: x\\n    steps: [{run: a}]\\n'); console.log(w.problems.length)`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), '0');
});

test('timeout-minutes outside (0, 35791] is a problem at the value (longer overflows the timer and fired at once)', async () => {
  const job = (t: string, step = '') => `on: push\njobs:\n  build:\n    runs-on: local\n    timeout-minutes: ${t}\n    steps:\n      - run: make\n${step}`;
  for (const bad of ['40000', '-5', '0', '35792']) {
    const r = await run(job(bad));
    assert.equal(r.jobs, [], bad);
    assert.equal(r.problems.map((p) => [p.line, p.col, p.code, p.message]), [
      [5, 22, 'E_WORKFLOW_EXPRESSION', 'job "build": timeout-minutes must be a number greater than 0 and at most 35791 (about 24.8 days), known when the run is planned (literal, matrix, inputs or github values)'],
    ], bad);
  }
  assert.is((await run(job('35791'))).jobs[0]!.timeoutMinutes, 35791);
  assert.is((await run(job("${{ fromJSON('120') }}"))).jobs[0]!.timeoutMinutes, 120);
  const step = await run(job('10', '        timeout-minutes: 99999\n'));
  assert.match(step.problems[0]!.message, /^timeout-minutes of step "[^"]*make" in job "build" must be a number greater than 0 and at most 35791/);
});

test('timer delays are clamped to what setTimeout holds', () => {
  assert.is(timerDelayMs(35791 * 60_000 + 60_000), MAX_TIMER_MS);
  assert.is(timerDelayMs(-1), 0);
  assert.is(timerDelayMs(Number.NaN), MAX_TIMER_MS);
  assert.is(timerDelayMs(1234), 1234);
});

test.run();
