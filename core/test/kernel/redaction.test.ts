import { chmodSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

const APP_KEY = 'app-key-s3cr3t-value';
const HOOK = 'hook-s3cr3t-value';
const FILE_VALUE = 'file-s3cr3t-value';

function setup(p: TempProject, extraConfig = '') {
  p.plugin(
    'forge.mjs',
    `export default definePlugin({ name: 'forge', apiVersion: '1.x', kinds: [],
  configSchema: Type.Object({ appId: Type.Integer(), privateKey: Type.String(), webhookSecret: Type.String(), deployKey: Type.String(), pin: Type.Optional(Type.Integer()) }, { additionalProperties: false }),
  register(ctx) { ctx.logger.info('configured', { key: ctx.config.privateKey, hook: ctx.config.webhookSecret }); } });`,
  );
  p.write('secrets.yaml', `config:\n  github/app-key: ${APP_KEY}\n`);
  chmodSync(`${p.dir}/secrets.yaml`, 0o600);
  p.write('deploy.key', FILE_VALUE + '\n');
  p.write(
    'helios.yaml',
    `plugins:
  secrets:
    use: "@helios-ci/secrets-file"
    config: { path: secrets.yaml }
  github:
    use: ./forge.mjs
    config:
      appId: 42
      privateKey: { secret: github/app-key }
      webhookSecret: { env: HOOK_SECRET }
      deployKey: { file: deploy.key }
${extraConfig}`,
  );
}

test('plugins list shows references, never the secret values (table and --json)', async () => {
  const p = new TempProject();
  try {
    setup(p);
    for (const args of [['plugins', 'list'], ['plugins', 'list', '--json']]) {
      const r = await runHelios(args, { cwd: p.dir, env: { HOOK_SECRET: HOOK } });
      assert.is(r.code, 0, r.stderr);
      for (const v of [APP_KEY, HOOK, FILE_VALUE]) assert.not.ok(r.stdout.includes(v) || r.stderr.includes(v), `${v} leaked`);
      assert.ok(r.stdout.includes('<secret:github/app-key>'));
      assert.ok(r.stdout.includes('<env:HOOK_SECRET>'));
      assert.ok(r.stdout.includes('<file:deploy.key>'));
    }
    const json = JSON.parse((await runHelios(['plugins', 'list', '--json'], { cwd: p.dir, env: { HOOK_SECRET: HOOK } })).stdout);
    const github = json.find((x: { instance: string }) => x.instance === 'github');
    assert.equal(github.config, { appId: 42, privateKey: '<secret:github/app-key>', webhookSecret: '<env:HOOK_SECRET>', deployKey: '<file:deploy.key>' });
    const secrets = json.find((x: { instance: string }) => x.instance === 'secrets');
    assert.is(secrets.package, '@helios-ci/secrets-file');
    assert.equal(secrets.kinds, ['secrets']);
  } finally {
    p.cleanup();
  }
});

test('secret values are redacted in error messages and in logs', async () => {
  const p = new TempProject();
  try {
    // A secret value used where an integer belongs ends up in a validation message: it must be masked.
    setup(p, `      pin: { secret: github/app-key }\n`);
    const r = await runHelios(['config', 'check'], { cwd: p.dir, env: { HOOK_SECRET: HOOK } });
    assert.is(r.code, 1);
    assert.match(r.stderr, /plugins\.github\.config\.pin: expected integer, got a string/);
    assert.not.ok(r.stderr.includes(APP_KEY));

    setup(p);
    const sink = new MemoryLogSink();
    await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: { HOOK_SECRET: HOOK }, logSink: sink });
    const line = sink.lines.find((l) => l.includes('"msg":"configured"'))!;
    assert.ok(line, 'the plugin logged');
    assert.not.ok(line.includes(APP_KEY) || line.includes(HOOK));
    assert.match(line, /"key":"\*\*\*","hook":"\*\*\*"/);
  } finally {
    p.cleanup();
  }
});

test('a { secret } reference that does not exist is reported with the fix', async () => {
  const p = new TempProject();
  try {
    setup(p);
    p.write('helios.yaml', p.read('helios.yaml').replace('github/app-key }', 'github/other-key }'));
    const r = await runHelios(['config', 'check'], { cwd: p.dir, env: { HOOK_SECRET: HOOK } });
    assert.is(r.code, 1);
    assert.match(r.stderr, /helios\.yaml:9:7: plugins\.github\.config\.privateKey: config secret "github\/other-key" does not exist in the secrets backend; add it to its config namespace \(secrets-file: a "github\/other-key" key under "config:"/);
  } finally {
    p.cleanup();
  }
});

test.run();
