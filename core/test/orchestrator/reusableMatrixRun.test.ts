// A matrix of calls runs for real (`helios run`, local runtime): one call per combination, each with
// its own inputs and its own jobs' needs; `needs.<caller>` waits for every call and its outputs are
// a finished call's; fail-fast cancels the other calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { runHelios } from '../helpers/runCliCapture.js';

const caller = (failFast: boolean) => `name: Caller
on: push
jobs:
  build:
    name: Build
    strategy:
      fail-fast: ${failFast}
      max-parallel: 1
      matrix:
        target: [alpha, beta]
    uses: ./.github/workflows/build.yml
    with:
      target: \${{ matrix.target }}
      expect: app-\${{ matrix.target }}
  report:
    needs: build
    runs-on: local
    steps:
      - run: |
          test "\${{ needs.build.result }}" = success
          case "\${{ needs.build.outputs.artifact }}" in app-alpha|app-beta) ;; *) exit 1 ;; esac
          echo "report saw \${{ needs.build.outputs.artifact }}"
`;

const BUILD = `on:
  workflow_call:
    inputs:
      target: { type: string, required: true }
      expect: { type: string, required: true }
    outputs:
      artifact:
        value: \${{ jobs.compile.outputs.artifact }}
jobs:
  compile:
    runs-on: local
    outputs:
      artifact: \${{ steps.a.outputs.name }}
    steps:
      - id: a
        run: |
          test -z "$FAIL_ALPHA" || test "\${{ inputs.target }}" != alpha
          echo "name=app-\${{ inputs.target }}" >> "$GITHUB_OUTPUT"
        env:
          FAIL_ALPHA: \${{ inputs.expect == 'app-alpha' && github.ref_name == 'fail-alpha' && 'yes' || '' }}
  check:
    needs: compile
    runs-on: local
    steps:
      - run: test "\${{ needs.compile.outputs.artifact }}" = "\${{ inputs.expect }}"
`;

test('each combination of a matrix of calls runs its own call with its own inputs', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.github/workflows/ci.yml', caller(true)).write('.github/workflows/build.yml', BUILD).commit('matrix of calls');
    const r = await runHelios(['run', '--json'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    const run = JSON.parse(r.stdout);
    const byName = Object.fromEntries(run.jobs.map((j: { name: string; state: string }) => [j.name, j.state]));
    assert.equal(byName, {
      'Build (alpha) / compile': 'succeeded',
      'Build (alpha) / check': 'succeeded',
      'Build (beta) / compile': 'succeeded',
      'Build (beta) / check': 'succeeded',
      report: 'succeeded',
    });
    assert.is(run.conclusion, 'success');
  } finally {
    repo.cleanup();
  }
});

test('fail-fast: a failed call cancels the calls not yet finished', async () => {
  const repo = new GitRepo();
  try {
    repo.git('checkout', '-q', '-b', 'fail-alpha');
    repo.write('.github/workflows/ci.yml', caller(true)).write('.github/workflows/build.yml', BUILD).commit('failing alpha');
    const r = await runHelios(['run', '--json'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(r.code, 1, r.stderr + r.stdout);
    const run = JSON.parse(r.stdout);
    const byName = Object.fromEntries(run.jobs.map((j: { name: string; state: string }) => [j.name, j.state]));
    assert.is(byName['Build (alpha) / compile'], 'failed');
    assert.is(byName['Build (alpha) / check'], 'skipped');
    // max-parallel 1 holds beta back until alpha's job ends; its failure then cancels beta.
    assert.is(byName['Build (beta) / compile'], 'cancelled', JSON.stringify(byName));
    assert.is(byName.report, 'skipped');
  } finally {
    repo.cleanup();
  }
});

test.run();
