// `helios validate`, `helios plan` and `helios run` on workflows with remote actions, as a user runs
// them: the real CLI process, helios.yaml found as ./helios.yaml or given with --config, and a
// directory source of real git repositories (the fixture marketplace of the remote action tests,
// plus actions/setup-node from the marketplace corpus).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestMarketplace } from '@helios-ci/sdk/testkit';
import { repoRootDir } from './fixtures.js';

const bin = join(repoRootDir, 'core/dist/src/cli/bin.js');
const helios = (args: string[], cwd: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

const market = new TestMarketplace();
market.add('actions/setup-node', { files: { 'action.yml': readFileSync(join(repoRootDir, 'core/test/fixtures/marketplace/actions/actions/setup-node/action.yml'), 'utf8') }, tags: ['v4'] });
const greeterSha = market.shas.get('acme/greeter')!;
const toolboxSha = market.shas.get('acme/toolbox')!;
const nodeSha = market.shas.get('actions/setup-node')!;

/** A throwaway repository (a real git one) with the given workflows. */
function repo(workflows: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'helios-wf-remote-'));
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  mkdirSync(join(dir, '.github/workflows'), { recursive: true });
  for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, '.github/workflows', name), text);
  return dir;
}

function withRepo(workflows: Record<string, string>, fn: (dir: string) => void): void {
  const dir = repo(workflows);
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const job = (steps: string) => `on: push\njobs:\n  build:\n    runs-on: local\n    steps:\n${steps}`;
const ONLY_REMOTE = job(`      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n      - uses: Swatinem/rust-cache@v2\n`);
const GREETER_WITHOUT_WHO = job(`      - uses: acme/greeter@v1\n`);
const GREETER_GOOD = job(`      - uses: acme/greeter@v1\n        with:\n          who: helios\n      - uses: acme/toolbox/setup@v2\n      - uses: actions/setup-node@v4\n`);

type Note = { file: string; line: number; col: number; uses: string; resolved: boolean; sha?: string; why?: string };
type ValidateJson = { files: string[]; problems: Array<{ file: string; line: number; col: number; message: string; code: string }>; warnings: unknown[]; remoteActions: Note[] };

test('validate: a workflow whose only doubt is remote actions exits 0, each one noted as not resolved (human and --json)', () => {
  withRepo({ 'ci.yml': ONLY_REMOTE }, (dir) => {
    const r = helios(['validate'], dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0]!, /^\.github\/workflows\/ci\.yml:7:15: note: remote action actions\/setup-node@v4 not resolved: validate and plan reach no forge, and actions\.sources of the embedded defaults \(run-forge\) lists no directory of git mirrors; its inputs are not checked\. To check them, add \{ type: dir, path: \/srv\/actions \}/);
    assert.match(lines[1]!, /^\.github\/workflows\/ci\.yml:10:15: note: remote action Swatinem\/rust-cache@v2 not resolved: /);
    assert.equal(lines[2], 'ok: 1 workflow file, no problems (2 remote actions not resolved, inputs not checked)');
    const j = helios(['validate', '--json'], dir);
    assert.equal(j.status, 0);
    const parsed = JSON.parse(j.stdout) as ValidateJson;
    assert.equal(parsed.problems, []);
    assert.equal(parsed.remoteActions.map((n) => [n.file, n.line, n.col, n.uses, n.resolved, n.sha]), [
      ['.github/workflows/ci.yml', 7, 15, 'actions/setup-node@v4', false, undefined],
      ['.github/workflows/ci.yml', 10, 15, 'Swatinem/rust-cache@v2', false, undefined],
    ]);
    assert.ok(parsed.remoteActions.every((n) => /inputs are not checked/.test(n.why ?? '')));
  });
});

test('validate: a real problem next to a remote action still fails, and is the only problem', () => {
  const wf = job(`      - uses: actions/setup-node@v4\n      - run: make\n        timeout-minutes: 0\n`);
  withRepo({ 'ci.yml': wf }, (dir) => {
    const r = helios(['validate', '--json'], dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const parsed = JSON.parse(r.stdout) as ValidateJson;
    assert.equal(parsed.problems.map((p) => [p.line, p.col, p.code]), [[8, 26, 'E_WORKFLOW_EXPRESSION']]);
    assert.match(parsed.problems[0]!.message, /timeout-minutes of step "Run make"/);
    assert.equal(parsed.remoteActions.map((n) => [n.uses, n.resolved]), [['actions/setup-node@v4', false]]);
    const human = helios(['validate'], dir);
    assert.equal(human.status, 1);
    assert.ok(!human.stdout.includes('ok:'), human.stdout);
    assert.match(human.stdout, /^\.github\/workflows\/ci\.yml:8:26: timeout-minutes of step "Run make"/m);
  });
  // An expression GitHub's parser refuses stops the workflow there, remote action or not.
  withRepo({ 'ci.yml': job(`      - uses: Swatinem/rust-cache@v2\n      - run: echo \${{ foo.bar }}\n`) }, (dir) => {
    const r = helios(['validate', '--json'], dir);
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as ValidateJson).problems.map((p) => [p.line, p.message]), [[7, "Unrecognized named-value: 'foo'"]]);
  });
});

test('validate with a directory source in ./helios.yaml: inputs are checked against the action.yml at the resolved commit', () => {
  withRepo({ 'bad.yml': GREETER_WITHOUT_WHO, 'good.yml': GREETER_GOOD }, (dir) => {
    writeFileSync(join(dir, 'helios.yaml'), `actions:\n  sources:\n    - { type: dir, path: ${market.dir} }\n`);
    const bad = helios(['validate', '--json', '.github/workflows/bad.yml'], dir);
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    const parsed = JSON.parse(bad.stdout) as ValidateJson;
    assert.equal(parsed.problems.length, 1);
    assert.equal([parsed.problems[0]!.line, parsed.problems[0]!.col, parsed.problems[0]!.code], [6, 15, 'E_WORKFLOW_ACTION']);
    assert.match(parsed.problems[0]!.message, /step "Run acme\/greeter@v1" \(step 1\) uses acme\/greeter@v1, which requires input "who" \(required: true and no default in acme\/greeter\/action\.yml@[0-9a-f]{12}\); give it under with: of this step/);
    assert.equal(parsed.remoteActions, [{ file: '.github/workflows/bad.yml', line: 6, col: 15, uses: 'acme/greeter@v1', resolved: true, sha: greeterSha }]);

    const good = helios(['validate', '.github/workflows/good.yml'], dir);
    assert.equal(good.status, 0, good.stdout + good.stderr);
    const lines = good.stdout.trimEnd().split('\n');
    // The composite acme/toolbox/setup gives the greeter its input itself: noted in its own action.yml.
    assert.equal(lines, [
      `.github/workflows/good.yml:6:15: note: remote action acme/greeter@v1 resolved to ${greeterSha}; its inputs are checked`,
      `.github/workflows/good.yml:9:15: note: remote action acme/toolbox/setup@v2 resolved to ${toolboxSha}; its inputs are checked`,
      `.github/workflows/good.yml:10:15: note: remote action actions/setup-node@v4 resolved to ${nodeSha}; its inputs are checked`,
      `acme/toolbox/setup/action.yml@${toolboxSha.slice(0, 12)}:15:13: note: remote action acme/greeter@v1 resolved to ${greeterSha}; its inputs are checked`,
      'ok: 1 workflow file, no problems (4 remote actions resolved)',
    ]);
  });
});

test('validate --config: a directory that lacks the action is a problem when no forge source could have it, a note when one could; policy refuses', () => {
  withRepo({ 'ci.yml': job(`      - uses: acme/greeter@v1\n        with: { who: x }\n      - uses: nobody/nothing@v1\n`) }, (dir) => {
    const config = join(dir, 'ci-helios.yaml');
    writeFileSync(config, `actions:\n  sources:\n    - { type: dir, path: ${market.dir} }\n`);
    const onlyDir = helios(['validate', '--json', '--config', config], dir);
    assert.equal(onlyDir.status, 1, onlyDir.stdout + onlyDir.stderr);
    const problems = (JSON.parse(onlyDir.stdout) as ValidateJson).problems;
    assert.equal(problems.map((p) => p.line), [8]);
    assert.match(problems[0]!.message, /uses nobody\/nothing@v1: no action source has nobody\/nothing at v1 \(tried directory /);

    writeFileSync(config, `actions:\n  sources:\n    - { type: run-forge }\n    - { type: dir, path: ${market.dir} }\n`);
    const withForge = helios(['validate', '--json', '-c', config], dir);
    assert.equal(withForge.status, 0, withForge.stdout + withForge.stderr);
    const notes = (JSON.parse(withForge.stdout) as ValidateJson).remoteActions;
    assert.equal(notes.map((n) => [n.uses, n.resolved, n.sha]), [['acme/greeter@v1', true, greeterSha], ['nobody/nothing@v1', false, undefined]]);
    assert.match(notes[1]!.why!, /^no directory in actions\.sources of .*ci-helios\.yaml \(run-forge, dir .*\) has it, and validate and plan reach no forge; its inputs are not checked/);

    writeFileSync(config, `actions:\n  allow: [actions/*]\n  sources:\n    - { type: run-forge }\n`);
    const refused = helios(['validate', '--json', '--config', config], dir);
    assert.equal(refused.status, 1);
    const why = (JSON.parse(refused.stdout) as ValidateJson).problems.map((p) => p.message);
    assert.equal(why.length, 2);
    assert.ok(why.every((m) => m.includes('refused by actions.allow in helios.yaml')), why.join('\n'));
  });
});

test('plan: notes remote actions like validate; with a directory source the steps are pinned to their commits', () => {
  withRepo({ 'ci.yml': GREETER_GOOD }, (dir) => {
    const without = helios(['plan', '--labels', 'local'], dir);
    assert.equal(without.status, 0, without.stdout + without.stderr);
    assert.match(without.stdout, /^  build  \[runs-on: local; needs: -\]$/m);
    assert.match(without.stdout, /^\.github\/workflows\/ci\.yml:9:15: note: remote action acme\/toolbox\/setup@v2 not resolved: /m);
    const bare = JSON.parse(helios(['plan', '--json', '--labels', 'local'], dir).stdout) as { problems: unknown[]; remoteActions: Note[] };
    assert.equal(bare.problems, []);
    assert.equal(bare.remoteActions.map((n) => n.resolved), [false, false, false]);

    writeFileSync(join(dir, 'helios.yaml'), `actions:\n  sources:\n    - { type: dir, path: ${market.dir} }\n`);
    const r = helios(['plan', '--json', '--labels', 'local'], dir);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const planned = JSON.parse(r.stdout) as { problems: unknown[]; jobs: Array<{ steps: Array<{ kind: string; action?: { sha: string } }> }>; remoteActions: Note[] };
    assert.equal(planned.problems, []);
    assert.equal(planned.jobs[0]!.steps.map((s) => [s.kind, s.action?.sha]), [['node-action', greeterSha], ['composite', toolboxSha], ['node-action', nodeSha]]);
    assert.equal(planned.remoteActions.filter((n) => n.resolved).length, 4);

    writeFileSync(join(dir, '.github/workflows/ci.yml'), GREETER_WITHOUT_WHO);
    const missing = helios(['plan', '--labels', 'local'], dir);
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /uses acme\/greeter@v1, which requires input "who"/);
  });
});

test('run: a remote action no source can serve stops the run before it starts, saying how to add a source', () => {
  withRepo({ 'ci.yml': job(`      - uses: actions/setup-node@v4\n      - run: echo never\n`) }, (dir) => {
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', 'add', '-A'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'ci'], { cwd: dir });
    const r = helios(['run'], dir);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const all = r.stdout + r.stderr;
    assert.ok(!all.includes('never\n'), all);
    assert.match(all, /\.github\/workflows\/ci\.yml:6:15: .*uses actions\/setup-node@v4: no action source can serve it: this run has no forge \(a local run: helios run, the REST API\) and actions\.sources of helios\.yaml lists no other source\. Add a directory of git mirrors, \{ type: dir, path: \/srv\/actions \}, holding \/srv\/actions\/actions\/setup-node\.git \(git clone --mirror https:\/\/github\.com\/actions\/setup-node \/srv\/actions\/actions\/setup-node\.git\)/);
  });
});

test.after(() => market.cleanup());

test.run();
