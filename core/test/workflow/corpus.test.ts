import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_LABELS, plan, RemoteActionNotes, runPlanErrors, validateWorkflow } from '../../src/workflow/index.js';
import { corpusDir, corpusEvent, fixtureReader } from './fixtures.js';

const validDir = join(corpusDir, 'valid');
const invalidDir = join(corpusDir, 'invalid');
const remoteDir = join(corpusDir, 'remote');
const validFiles = readdirSync(validDir).filter((f) => f.endsWith('.yml')).sort();
const invalidFiles = readdirSync(invalidDir).filter((f) => /\.(ya?ml|bin)$/.test(f)).sort();
const expectedProblems = JSON.parse(readFileSync(join(invalidDir, 'expected.json'), 'utf8')) as Record<string, unknown[]>;
const remoteFiles = readdirSync(remoteDir).filter((f) => f.endsWith('.yml')).sort();
const expectedRemote = JSON.parse(readFileSync(join(remoteDir, 'expected.json'), 'utf8')) as Record<string, { validate: { problems: unknown[]; remoteActions: unknown[] }; planWithoutSource: unknown[] }>;

test('the corpus has at least 40 valid and 25 invalid workflows', () => {
  assert.ok(validFiles.length >= 40, `${validFiles.length} valid`);
  assert.ok(invalidFiles.length >= 25, `${invalidFiles.length} invalid`);
  assert.equal(Object.keys(expectedProblems).sort(), invalidFiles, 'every invalid file has its expected problems');
});

for (const f of validFiles) {
  test(`valid/${f} plans to its committed plan, which matches RunPlanSchema`, async () => {
    const text = readFileSync(join(validDir, f), 'utf8');
    const result = await plan({ files: [{ path: `.github/workflows/${f}`, content: text }], event: corpusEvent(text), labels: DEFAULT_LABELS, readFile: fixtureReader(validDir) });
    assert.equal(runPlanErrors(result), []);
    assert.equal(result.problems, [], 'a valid workflow has no problems');
    const expected = JSON.parse(readFileSync(join(validDir, f.replace(/\.yml$/, '.plan.json')), 'utf8'));
    assert.equal(JSON.parse(JSON.stringify(result)), expected);
    const problems = await validateWorkflow({ path: f, content: text }, fixtureReader(validDir));
    assert.equal(problems, [], 'validate agrees');
  });
}

for (const f of invalidFiles) {
  test(`invalid/${f} reports exactly its expected problems with positions`, async () => {
    const problems = await validateWorkflow({ path: f, content: readFileSync(join(invalidDir, f)) }, fixtureReader(invalidDir));
    assert.ok(problems.length > 0);
    assert.equal(problems, expectedProblems[f]);
    for (const p of problems) assert.ok(p.line !== undefined && p.col !== undefined, `${p.message} has a position`);
  });
}

// Parity cases where plan and validate differ (validate reports, plan does not fail) carry their
// expected plan beside them: invalid/<name>.plan.json, planned for the file's corpus event.
for (const f of invalidFiles.filter((n) => /\.ya?ml$/.test(n) && existsSync(join(invalidDir, n.replace(/\.ya?ml$/, '.plan.json'))))) {
  test(`invalid/${f} plans to its committed plan`, async () => {
    const text = readFileSync(join(invalidDir, f), 'utf8');
    const result = await plan({ files: [{ path: `.github/workflows/${f}`, content: text }], event: corpusEvent(text), labels: DEFAULT_LABELS, readFile: fixtureReader(invalidDir) });
    assert.equal(runPlanErrors(result), []);
    assert.equal(JSON.parse(JSON.stringify(result)), JSON.parse(readFileSync(join(invalidDir, f.replace(/\.ya?ml$/, '.plan.json')), 'utf8')));
  });
}

// Remote actions no source can resolve: validate notes each once, at its position, and reports no
// problem; a plan without an action source (a server with none) refuses them, naming the step.
test('the remote corpus has its expectations', () => {
  assert.ok(remoteFiles.length >= 2);
  assert.equal(Object.keys(expectedRemote).sort(), remoteFiles);
});
for (const f of remoteFiles) {
  test(`remote/${f}: validate notes its remote actions unresolved; a plan without a source refuses them`, async () => {
    const text = readFileSync(join(remoteDir, f), 'utf8');
    const notes = new RemoteActionNotes();
    const problems = await validateWorkflow({ path: f, content: text }, fixtureReader(remoteDir), { remoteActionNotes: notes });
    assert.equal({ problems, remoteActions: notes.list() }, expectedRemote[f]!.validate);
    assert.ok(notes.list().length > 0 && notes.list().every((n) => !n.resolved && n.line !== undefined && n.col !== undefined && n.why));
    const planned = await plan({ files: [{ path: `.github/workflows/${f}`, content: text }], event: corpusEvent(text), labels: DEFAULT_LABELS, readFile: fixtureReader(remoteDir) });
    assert.equal(planned.problems, expectedRemote[f]!.planWithoutSource);
    assert.ok(planned.problems.length > 0);
    assert.equal(planned.jobs, []);
  });
}

test('an invalid workflow in a plan is a problem of the run, not a silent nothing', async () => {
  const bad = readFileSync(join(remoteDir, 'marketplace-action.yml'));
  const good = readFileSync(join(validDir, 'diamond.yml'));
  const result = await plan({
    files: [{ path: '.github/workflows/bad.yml', content: bad }, { path: '.github/workflows/good.yml', content: good }],
    event: { name: 'push', ref: 'refs/heads/main' },
    labels: DEFAULT_LABELS,
    readFile: fixtureReader(validDir),
  });
  assert.equal(runPlanErrors(result), []);
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0]!.file, '.github/workflows/bad.yml');
  assert.equal(result.problems[0]!.line, 9);
  assert.ok(result.problems[0]!.message.includes('actions/setup-node@v4'));
  assert.ok(result.jobs.every((j) => j.workflow.file === '.github/workflows/good.yml'), 'the bad workflow contributes no jobs');
  assert.equal(result.jobs.length, 4);
});

test.run();
