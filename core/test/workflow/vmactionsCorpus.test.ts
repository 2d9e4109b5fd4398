// The vmactions shim's corpus: illumos workflows in the shapes projects write for vmactions/<os>-vm
// (prepare/run, a matrix over releases, custom shells, cache-after-prepare, envs), planned with a
// helios.yaml `vmactions:` mapping to their committed plans; refused ones to their problems. Also
// planned off-thread, so the mapping reaches the planning worker. They run: runtime-bhyve's
// vmactionsCorpus.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/kernel/config/loadConfig.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, planOffThread, runPlanErrors, validateWorkflow, type VmactionsConfig } from '../../src/workflow/index.js';
import { corpusDir } from './fixtures.js';

const dir = join(corpusDir, 'vmactions');
const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { labels: string[]; vmactions: VmactionsConfig };
const validFiles = readdirSync(join(dir, 'valid')).filter((f) => f.endsWith('.yml')).sort();
const invalidFiles = readdirSync(join(dir, 'invalid')).filter((f) => f.endsWith('.yml')).sort();
const expectedProblems = JSON.parse(readFileSync(join(dir, 'invalid', 'expected.json'), 'utf8')) as Record<string, unknown[]>;
const request = (sub: string, f: string, vmactions: VmactionsConfig = config.vmactions) => ({
  files: [{ path: `.github/workflows/${f}`, content: readFileSync(join(dir, sub, f), 'utf8') }],
  event: { name: 'push' as const, ref: 'refs/heads/main' },
  labels: config.labels,
  vmactions,
  readFile: async () => null,
});

test('the corpus covers prepare/run, release matrices, custom shells, cache-after-prepare, envs and refusals', () => {
  assert.ok(validFiles.length >= 6 && invalidFiles.length >= 5);
  assert.equal(Object.keys(expectedProblems).sort(), invalidFiles);
});

for (const f of validFiles) {
  test(`valid/${f} plans to its committed plan (in a planning worker too), and validate has no problem`, async () => {
    const result = await plan(request('valid', f));
    assert.equal(runPlanErrors(result), []);
    assert.equal(result.problems, []);
    const expected = JSON.parse(readFileSync(join(dir, 'valid', f.replace(/\.yml$/, '.plan.json')), 'utf8'));
    assert.equal(JSON.parse(JSON.stringify(result)), expected);
    assert.equal(JSON.parse(JSON.stringify(await planOffThread(request('valid', f)))), expected, 'the worker gets the mapping');
    assert.equal(await validateWorkflow({ path: f, content: readFileSync(join(dir, 'valid', f)) }, async () => null), []);
  });
}

for (const f of invalidFiles) {
  test(`invalid/${f} is refused with its expected problems`, async () => {
    const result = await plan(request('invalid', f));
    assert.equal(result.jobs, []);
    assert.equal(result.problems, expectedProblems[f]);
  });
}

test('every job with a vmactions step leaves runs-on behind for the mapped label; the generated steps are sh in the workspace', async () => {
  const result = await plan(request('valid', 'curl-omnios.yml'));
  const [job] = result.jobs;
  assert.equal(job!.runsOn, ['omnios-r151056']);
  assert.equal(job!.vmactions?.matched, 'default');
  const steps = job!.steps.filter((s) => s.kind === 'run' && s.name.startsWith('autotools on OmniOS'));
  assert.equal(steps.map((s) => s.name), ['autotools on OmniOS: prepare', 'autotools on OmniOS: run']);
  for (const s of steps) {
    assert.is(s.kind === 'run' && s.shell, 'sh');
    assert.ok(s.kind === 'run' && s.run.startsWith('set -eu\ncd "$GITHUB_WORKSPACE"\n'));
  }
});

test('a release prefix picks the newest configured match; a suffixed release comes after its plain one', async () => {
  const vmactions: VmactionsConfig = { omnios: { r151054: 'a', 'r151056-build': 'c', r151056: 'b', r151046: 'old' } };
  const labels = ['a', 'b', 'c', 'old'];
  const planFor = async (release: string) => {
    const text = `on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: vmactions/omnios-vm@v1\n        with:\n          release: ${release}\n          run: true\n`;
    const r = await plan({ files: [{ path: '.github/workflows/x.yml', content: text }], event: { name: 'push', ref: 'refs/heads/main' }, labels, vmactions, readFile: async () => null });
    return r.jobs[0]?.runsOn[0] ?? r.problems.map((p) => p.message).join('\n');
  };
  assert.is(await planFor('r15105'), 'c');
  assert.is(await planFor('r151056'), 'b');
  assert.is(await planFor('r15104'), 'old');
  assert.match(await planFor('r16'), 'matches no release configured');
});

test('without a vmactions mapping the job is a plan problem that says how to map it', async () => {
  const result = await plan(request('valid', 'curl-omnios.yml', {}));
  assert.equal(result.jobs, []);
  assert.match(result.problems[0]!.message, 'vmactions: { omnios: { <release>: <label>, default: <label> } }');
});

test('a release mapped to a label no runtime serves names the labels that are served', async () => {
  const result = await plan(request('valid', 'release-matrix.yml', { omnios: { r151054: 'omnios-r151054', r151056: 'omnios-gone' } }));
  assert.equal(result.jobs, []);
  assert.match(result.problems[0]!.message, 'omnios-gone');
  assert.match(result.problems[0]!.message, 'labels available: omnios-r151054');
});

test('helios.yaml vmactions: accepted per OS (release or default → label); an unknown OS or a bad release name is a config problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-vmcfg-'));
  try {
    const file = join(dir, 'helios.yaml');
    writeFileSync(file, 'plugins: {}\nvmactions:\n  omnios: { r151054: omnios-r151054, default: omnios-r151058 }\n  solaris: { "11.4": solaris-11-4 }\n');
    const ok = loadConfigFile(file);
    assert.equal(ok.problems, []);
    assert.equal(ok.config.vmactions, { omnios: { r151054: 'omnios-r151054', default: 'omnios-r151058' }, solaris: { '11.4': 'solaris-11-4' } });
    writeFileSync(file, 'plugins: {}\nvmactions:\n  ubuntu: { "24.04": x }\n');
    const unknownOs = loadConfigFile(file);
    assert.equal(unknownOs.problems.map((p) => [p.path, p.line]), [['vmactions.ubuntu', 3]]);
    assert.match(unknownOs.problems[0]!.message, 'omnios, openindiana, solaris, freebsd, netbsd, openbsd');
    assert.equal(unknownOs.config.vmactions, {}, 'a broken section falls back to its default');
    writeFileSync(file, 'plugins: {}\nvmactions:\n  omnios: { "bad name": x, r151054: "" }\n');
    const badRelease = loadConfigFile(file);
    assert.ok(badRelease.problems.length >= 1, JSON.stringify(badRelease.problems));
    assert.ok(badRelease.problems.every((p) => p.path.startsWith('vmactions.omnios')), JSON.stringify(badRelease.problems));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
