import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestGitRepo } from '@helios-ci/sdk/testkit';
import { CI_PATHS, standIn } from './helpers.js';
import { CLI } from './githubWorld.js';

// Through `helios run` (kernel, orchestrator, local runtime, agent) with secrets-vault: a job whose
// secret exists nowhere errors at dispatch naming every place looked; its sibling runs, masked.

function helios(args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

test('helios run: a missing job secret errors its job at dispatch with the paths tried; a found one is masked', async () => {
  const v = await standIn();
  const repo = new TestGitRepo('widget');
  const conf = mkdtempSync(join(tmpdir(), 'helios-vault-run-'));
  try {
    v.put('ci/_global/GLOBAL_ONE', { value: 'global-one-v4lue-x81' });
    const token = v.issueToken({ ttlSeconds: 300, paths: CI_PATHS });
    writeFileSync(
      join(conf, 'helios.yaml'),
      `plugins:
  secrets:
    use: "@helios-ci/secrets-vault"
    config:
      address: ${v.url}
      auth: { method: token, tokenEnv: VAULT_TOKEN }
  local:
    use: "@helios-ci/runtime-local"
`,
    );
    repo
      .write(
        '.github/workflows/ci.yml',
        `on: push
jobs:
  found:
    runs-on: local
    steps:
      - run: echo "one=[\${{ secrets.GLOBAL_ONE }}]"
  missing:
    runs-on: local
    steps:
      - run: echo "never=[\${{ secrets.NOPE_SECRET }}]"
`,
      )
      .commit('ci');
    const r = await helios(['run', '--json', '--config', join(conf, 'helios.yaml')], repo.dir, { VAULT_TOKEN: token });
    assert.is(r.code, 1, r.stderr);
    const run = JSON.parse(r.stdout);
    const byName = Object.fromEntries(run.jobs.map((j: { name: string }) => [j.name, j]));
    assert.is(byName.found.state, 'succeeded');
    assert.is(byName.missing.state, 'errored');
    assert.match(byName.missing.reason, /^secrets: E_SECRET_NOT_FOUND: secret NOPE_SECRET not found at any of: secret\/data\/ci\/[^/]+\/widget\/NOPE_SECRET#value, secret\/data\/ci\/[^/]+\/_org\/NOPE_SECRET#value, secret\/data\/ci\/_global\/NOPE_SECRET#value$/);
    assert.not.ok((r.stdout + r.stderr).includes('global-one-v4lue-x81'));
    assert.equal(byName.found.steps.map((st: { name: string }) => st.name), ['Run echo "one=[***]"']);
    const human = await helios(['run', '--config', join(conf, 'helios.yaml')], repo.dir, { VAULT_TOKEN: token });
    assert.is(human.code, 1);
    assert.match(human.stdout, /\[found\] one=\[\*\*\*\]/);
    assert.not.ok(human.stdout.includes('global-one-v4lue-x81'));
  } finally {
    await v.stop();
    repo.cleanup();
    rmSync(conf, { recursive: true, force: true });
  }
});

test.run();
