import { chmodSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

// Issue 10 item 3: workflows must not read the server's own secrets. Through the real `helios run`
// (kernel, orchestrator, local runtime, agent): config secrets are not job secrets, and a job
// secret whose value is a config secret's is refused at dispatch.

const BOT_TOKEN = 'forgejo-bot-t0ken-value-77';

function project(secretsYaml: string): TempProject {
  const p = new TempProject();
  // A forge-like plugin that takes its token from the secrets backend, as forge-forgejo does.
  p.plugin(
    'bot.mjs',
    `export default definePlugin({ name: 'bot', apiVersion: '1.x', kinds: [],
  configSchema: Type.Object({ token: Type.String() }, { additionalProperties: false }),
  register() {} });`,
  );
  p.write('secrets.yaml', secretsYaml);
  chmodSync(`${p.dir}/secrets.yaml`, 0o600);
  p.write(
    'helios.yaml',
    `plugins:
  secrets:
    use: "@helios-ci/secrets-file"
    config: { path: secrets.yaml }
  local:
    use: "@helios-ci/runtime-local"
  bot:
    use: ./bot.mjs
    config:
      token: { secret: FORGEJO_TOKEN }
`,
  );
  return p;
}

const WORKFLOW = `on: push
jobs:
  probe:
    runs-on: local
    steps:
      - run: |
          echo "config-token=[\${{ secrets.FORGEJO_TOKEN }}]"
          echo "job-secret=[\${{ secrets.DEPLOY_TOKEN }}]"
`;

test('${{ secrets.FORGEJO_TOKEN }} is empty when FORGEJO_TOKEN is a config secret; job secrets still work', async () => {
  const repo = new GitRepo();
  const p = project(`config:\n  FORGEJO_TOKEN: ${BOT_TOKEN}\nsecrets:\n  DEPLOY_TOKEN: deploy-value-123\n`);
  try {
    repo.write('.github/workflows/probe.yml', WORKFLOW).commit('probe');
    const r = await runHelios(['run', '--config', `${p.dir}/helios.yaml`], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[probe\] config-token=\[\]/);
    assert.match(r.stdout, /\[probe\] job-secret=\[\*\*\*\]/);
    assert.not.ok((r.stdout + r.stderr).includes(BOT_TOKEN));
  } finally {
    repo.cleanup();
    p.cleanup();
  }
});

test('a job secret whose value equals a config secret fails the job at dispatch, naming the secret, never the value', async () => {
  const repo = new GitRepo();
  const p = project(`config:\n  FORGEJO_TOKEN: ${BOT_TOKEN}\nsecrets:\n  DEPLOY_TOKEN: ${BOT_TOKEN}\n`);
  try {
    repo.write('.github/workflows/probe.yml', WORKFLOW).commit('probe');
    const r = await runHelios(['run', '--json', '--config', `${p.dir}/helios.yaml`], { cwd: repo.dir, timeoutMs: 90_000 });
    assert.is(r.code, 1, r.stdout + r.stderr);
    const run = JSON.parse(r.stdout);
    const job = run.jobs.find((j: { name: string }) => j.name === 'probe');
    assert.is(job.state, 'errored');
    assert.match(job.reason, /^secrets: E_SECRET_IS_CONFIG_SECRET: job secret DEPLOY_TOKEN has the same value as one of the server's own config secrets/);
    assert.not.ok((r.stdout + r.stderr).includes(BOT_TOKEN));
    assert.not.ok(r.stdout.includes('job-secret=['), 'no step ran');
  } finally {
    repo.cleanup();
    p.cleanup();
  }
});

test.run();
