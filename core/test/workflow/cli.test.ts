import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { corpusDir, repoRootDir } from './fixtures.js';

const bin = join(repoRootDir, 'core/dist/src/cli/bin.js');
const helios = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });

/** A throwaway repository with the given workflows and the corpus's composite actions. */
function repo(workflows: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'helios-wf-'));
  mkdirSync(join(dir, '.git'));
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  cpSync(join(corpusDir, 'valid/actions'), join(dir, 'actions'), { recursive: true });
  for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, '.github/workflows', name), text);
  return dir;
}

const good = `name: CI\non: push\njobs:\n  build:\n    runs-on: \${{ matrix.os }}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, illumos]\n    steps:\n      - uses: ./actions/build-c\n  test:\n    needs: build\n    runs-on: local\n    steps: [{run: make test}]\n`;
const bad = `on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - uses: actions/setup-go@v5\n  lint:\n    runs-on: local\n    runs-on: x\n    steps: [{run: x}]\n`;

test('validate: clean repository exits 0', () => {
  const dir = repo({ 'ci.yml': good });
  try {
    const r = helios(['validate'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ok: 1 workflow file, no problems\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate: one line per problem, file:line:col, exit 1; --json for machines', () => {
  const dir = repo({ 'ci.yml': good, 'bad.yml': bad });
  try {
    const r = helios(['validate'], dir);
    assert.equal(r.status, 1);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1, 'the duplicate key stops GitHub\'s parser before the action check');
    assert.equal(lines[0], ".github/workflows/bad.yml:9:5: 'runs-on' is already defined");
    const j = helios(['validate', '--json', '.github/workflows/bad.yml'], dir);
    assert.equal(j.status, 1);
    const parsed = JSON.parse(j.stdout) as { files: string[]; problems: Array<{ code: string; line: number }> };
    assert.equal(parsed.files, ['.github/workflows/bad.yml']);
    assert.equal(parsed.problems.map((p) => [p.code, p.line]), [['E_WORKFLOW_SCHEMA', 9]]);
    writeFileSync(join(dir, '.github/workflows/bad.yml'), bad.replace('    runs-on: x\n', ''));
    // Once the parser gets past the duplicate key, the remote action is a note, not a problem: no
    // source here can resolve it (the server asks the run's forge).
    const again = helios(['validate', '.github/workflows/bad.yml'], dir);
    assert.equal(again.status, 0, again.stdout);
    assert.match(again.stdout, /^\.github\/workflows\/bad\.yml:6:15: note: remote action actions\/setup-go@v5 not resolved: validate and plan reach no forge, .*its inputs are not checked\. To check them, add \{ type: dir, path: \/srv\/actions \}/);
    assert.match(again.stdout, /\nok: 1 workflow file, no problems \(1 remote action not resolved, inputs not checked\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate: no workflow files is an error that says where it looked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-wf-'));
  try {
    const r = helios(['validate'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error E_WORKFLOW_NONE: no workflow files/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan: prints jobs with matrix values, needs and runs-on; --json is a RunPlan', () => {
  const dir = repo({ 'ci.yml': good });
  try {
    // Without --labels, runs-on is checked against what the configured runtimes serve.
    writeFileSync(join(dir, 'helios.yaml'), 'plugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    config: { labels: [ubuntu-latest, illumos, local] }\n');
    const r = helios(['plan', '--event', 'push', '--ref', 'refs/heads/main'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      'CI (.github/workflows/ci.yml)',
      '  build (ubuntu-latest)  [runs-on: ubuntu-latest; needs: -; matrix: {"os":"ubuntu-latest"}]',
      '  build (illumos)  [runs-on: illumos; needs: -; matrix: {"os":"illumos"}]',
      '  test  [runs-on: local; needs: build]',
      '',
    ].join('\n'));
    const j = helios(['plan', '--json', '--labels', 'ubuntu-latest,illumos'], dir);
    assert.equal(j.status, 1, 'local is not among the given labels');
    const plan = JSON.parse(j.stdout) as { jobs: unknown[]; problems: Array<{ message: string }> };
    assert.equal(plan.jobs, []);
    assert.match(plan.problems[0]!.message, /runs-on label "local" is not served by any configured runtime; labels available: ubuntu-latest, illumos/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plan: --changed and --input feed filters and inputs; bad usage exits 2', () => {
  const wf = `on:\n  push:\n    paths: ['src/**']\n  workflow_dispatch:\n    inputs:\n      target:\n        description: t\n        default: local\njobs:\n  a:\n    runs-on: \${{ inputs.target || 'local' }}\n    steps: [{run: x}]\n`;
  const dir = repo({ 'p.yml': wf });
  try {
    assert.match(helios(['plan', '--changed', 'docs/x.md'], dir).stdout, /no workflow runs for push refs\/heads\/main/);
    assert.match(helios(['plan', '--changed', 'src/x.c'], dir).stdout, /  a  \[runs-on: local; needs: -\]/);
    assert.match(helios(['plan', '--event', 'workflow_dispatch', '--input', 'target=illumos', '--labels', 'local,illumos'], dir).stdout, /  a  \[runs-on: illumos; needs: -\]/);
    assert.equal(helios(['plan', '--bogus'], dir).status, 2);
    const r = helios(['plan', '--event', 'schedule'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--event schedule is not supported/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('help says where the default labels come from', () => {
  const r = helios(['plan', '--help'], repoRootDir);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Default: the labels of the runtimes configured in\s+helios\.yaml/);
});

test('plan without --labels on the embedded defaults uses the local runtime\'s labels', () => {
  const dir = repo({ 'ci.yml': good });
  try {
    const r = helios(['plan'], dir);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /runs-on label "illumos" is not served by any configured runtime; labels available: local, self-hosted, linux, ubuntu-latest/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate and plan refuse symlinks that leave the repository, naming the path and never printing the target', () => {
  const outside = mkdtempSync(join(tmpdir(), 'helios-outside-'));
  const secret = 'root:x:0:0:TOP-SECRET-CONTENT:/root:/bin/sh\n';
  writeFileSync(join(outside, 'passwd'), secret);
  const uses = `on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - uses: ./.github/actions/evil\n`;
  const dir = repo({ 'ci.yml': uses });
  try {
    mkdirSync(join(dir, '.github/actions/evil'), { recursive: true });
    symlinkSync(join(outside, 'passwd'), join(dir, '.github/actions/evil/action.yml'));
    symlinkSync(join(outside, 'passwd'), join(dir, '.github/workflows/linked.yml'));
    // A link that stays inside the repository is followed as before.
    symlinkSync('ci.yml', join(dir, '.github/workflows/alias.yml'));
    const refusal = (path: string) => `${path}: ${path} is a symbolic link that leads out of the repository; Helios does not follow it. Replace it with the file itself (or a link to a file inside the repository)`;
    for (const args of [['validate'], ['plan', '--labels', 'local']]) {
      const r = helios(args, dir);
      assert.is(r.status, 1, r.stderr);
      assert.ok(!r.stdout.includes('TOP-SECRET') && !r.stderr.includes('TOP-SECRET'), r.stdout);
      const lines = r.stdout.split('\n');
      assert.ok(lines.includes(refusal('.github/actions/evil/action.yml')), r.stdout);
      assert.ok(lines.includes(refusal('.github/workflows/linked.yml')), r.stdout);
    }
    const json = JSON.parse(helios(['validate', '--json'], dir).stdout);
    assert.equal(json.problems.map((p: { file: string; code: string }) => [p.file, p.code]).filter(([, c]: string[]) => c === 'E_WORKFLOW_SYMLINK').sort(), [
      ['.github/actions/evil/action.yml', 'E_WORKFLOW_SYMLINK'],
      ['.github/actions/evil/action.yml', 'E_WORKFLOW_SYMLINK'],
      ['.github/workflows/linked.yml', 'E_WORKFLOW_SYMLINK'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test.run();
