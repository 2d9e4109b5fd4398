// Reusable workflows run for real (`helios run`, local runtime): the called workflow's jobs get the
// call's typed inputs and mapped secrets, follow the caller's needs and if:, and their outputs reach
// the caller's later jobs as needs.<caller>.outputs — nested one level deeper too.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { runHelios } from '../helpers/runCliCapture.js';

const CALLER = `name: Caller
on: push
jobs:
  setup:
    runs-on: local
    steps:
      - run: echo setting up
  build:
    name: Build
    needs: setup
    uses: ./.github/workflows/build.yml
    with:
      target: illumos
      debug: true
      jobs: "4"
    secrets:
      token: \${{ secrets.DEPLOY_TOKEN }}
  skipped-call:
    if: github.ref == 'refs/heads/nowhere'
    uses: ./.github/workflows/build.yml
    with:
      target: never
    secrets: inherit
  report:
    needs: build
    runs-on: local
    steps:
      - run: |
          test "\${{ needs.build.result }}" = success
          test "\${{ needs.build.outputs.artifact }}" = "app-illumos-4-true"
          test "\${{ needs.build.outputs.published }}" = "stable:ok"
          echo "report saw \${{ needs.build.outputs.artifact }}"
`;

const BUILD = `name: Reusable build
on:
  workflow_call:
    inputs:
      target: { type: string, required: true }
      debug: { type: boolean, default: false }
      jobs: { type: number, default: 2 }
    secrets:
      token: { required: false }
    outputs:
      artifact:
        value: \${{ jobs.compile.outputs.artifact }}
      published:
        value: \${{ jobs.publish.outputs.channel }}:\${{ jobs.publish.result == 'success' && 'ok' || 'no' }}
jobs:
  compile:
    runs-on: local
    outputs:
      artifact: \${{ steps.a.outputs.name }}
    steps:
      - id: a
        run: |
          test "\${{ github.job }}" = compile
          test "\${{ secrets.token }}" = "s3cr3t-deploy-token"
          test -z "\${{ secrets.DEPLOY_TOKEN }}"
          echo "name=app-\${{ inputs.target }}-\${{ inputs.jobs }}-\${{ inputs.debug }}" >> "$GITHUB_OUTPUT"
  only-when-debugging:
    needs: compile
    if: \${{ !inputs.debug }}
    runs-on: local
    steps:
      - run: exit 1
  publish:
    needs: compile
    uses: ./.github/workflows/publish.yml
    with:
      channel: stable
`;

const PUBLISH = `on:
  workflow_call:
    inputs:
      channel: { type: string, required: true }
    outputs:
      channel:
        value: \${{ jobs.upload.outputs.channel }}
jobs:
  upload:
    runs-on: local
    outputs:
      channel: \${{ steps.u.outputs.channel }}
    steps:
      - id: u
        run: echo "channel=\${{ inputs.channel }}" >> "$GITHUB_OUTPUT"
`;

test('a local reusable workflow (nested once) runs with its inputs, secrets, needs, if: and outputs', async () => {
  const repo = new GitRepo();
  const secrets = join(repo.dir, '..', `secrets-${Date.now()}-reusable.yaml`);
  try {
    repo.write('.github/workflows/ci.yml', CALLER).write('.github/workflows/build.yml', BUILD).write('.github/workflows/publish.yml', PUBLISH).commit('reusable');
    writeFileSync(secrets, 'secrets:\n  DEPLOY_TOKEN: s3cr3t-deploy-token\n');
    chmodSync(secrets, 0o600);
    const r = await runHelios(['run', '--json', '--secret-file', secrets], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.not.ok(r.stdout.includes('s3cr3t-deploy-token'), 'the secret leaked');
    const run = JSON.parse(r.stdout);
    const byName = Object.fromEntries(run.jobs.map((j: { name: string; state: string }) => [j.name, j.state]));
    assert.equal(byName, {
      setup: 'succeeded',
      'Build / compile': 'succeeded',
      'Build / only-when-debugging': 'skipped',
      'Build / publish / upload': 'succeeded',
      'skipped-call / compile': 'skipped',
      'skipped-call / only-when-debugging': 'skipped',
      'skipped-call / publish / upload': 'skipped',
      report: 'succeeded',
    });
    assert.is(run.conclusion, 'success');
  } finally {
    rmSync(secrets, { force: true });
    repo.cleanup();
  }
});

test('a workflow that only runs when called: helios run says so instead of planning it', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.github/workflows/build.yml', BUILD).write('.github/workflows/publish.yml', PUBLISH).commit('only called');
    const r = await runHelios(['run', '--workflow', 'build'], { cwd: repo.dir, timeoutMs: 60_000 });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /build\.yml runs only when another workflow calls it \(on: workflow_call\)/);
  } finally {
    repo.cleanup();
  }
});

test.run();
