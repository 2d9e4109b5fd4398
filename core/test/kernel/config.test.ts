import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

const PLUGIN_WITH_SCHEMA = `export default definePlugin({
  name: 'typed', apiVersion: '1.x', kinds: [],
  configSchema: Type.Object({ appId: Type.Integer(), mode: Type.Union([Type.Literal('fast'), Type.Literal('safe')]), token: Type.Optional(Type.String()) }, { additionalProperties: false }),
  register() {},
});`;

async function createError(p: TempProject, yaml: string, env: NodeJS.ProcessEnv = {}) {
  p.write('helios.yaml', yaml);
  try {
    await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env, logSink: new MemoryLogSink() });
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the config to be refused');
}

test('server, limits and plugin config problems are all reported in one pass, with paths and positions; exit code 1', async () => {
  const p = new TempProject();
  try {
    p.plugin('plugins/typed.mjs', PLUGIN_WITH_SCHEMA);
    p.write(
      'helios.yaml',
      `server:
  listen: nowhere
  colour: blue
plugins:
  one:
    use: ./plugins/typed.mjs
    config:
      appId: "abc"
      mode: turbo
      extra: 1
limits:
  concurrentJobs: 0
`,
    );
    const r = await runHelios(['config', 'check', '--config', 'helios.yaml'], { cwd: p.dir });
    assert.is(r.code, 1);
    // Structure (server, limits) and plugin config problems in one report: a bad server key does
    // not hide the plugin's problems until it is fixed.
    assert.match(r.stderr, /^error E_CONFIG_INVALID: helios.yaml has 6 problems/m);
    assert.match(r.stderr, /helios\.yaml:2:11: server\.listen: "nowhere" does not match the pattern/);
    assert.match(r.stderr, /helios\.yaml:3:3: server\.colour: unknown key; remove it or use one of: listen, publicUrl, dataDir, logLevel/);
    assert.match(r.stderr, /helios\.yaml:8:14: plugins\.one\.config\.appId: expected integer, got a string/);
    assert.match(r.stderr, /helios\.yaml:9:13: plugins\.one\.config\.mode: expected one of "fast", "safe", got "turbo"/);
    assert.match(r.stderr, /helios\.yaml:10:7: plugins\.one\.config\.extra: unknown key; remove it or use one of: appId, mode, token/);
    assert.match(r.stderr, /helios\.yaml:12:19: limits\.concurrentJobs: expected integer to be greater or equal to 1/);
    // In file order, so the report reads top to bottom.
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('  helios.yaml:')).map((l) => Number(l.split(':')[1]));
    assert.equal(lines, [...lines].sort((a, b) => a - b));

    // Without the structural problems, the plugin config problems are all reported together.
    p.write('helios.yaml', `plugins:\n  one:\n    use: ./plugins/typed.mjs\n    config:\n      appId: "abc"\n      mode: turbo\n      extra: 1\n`);
    const r2 = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(r2.code, 1);
    assert.match(r2.stderr, /has 3 problems/);
    assert.match(r2.stderr, /helios\.yaml:5:14: plugins\.one\.config\.appId: expected integer, got a string/);
    assert.match(r2.stderr, /helios\.yaml:6:13: plugins\.one\.config\.mode: expected one of "fast", "safe", got "turbo"/);
    assert.match(r2.stderr, /helios\.yaml:7:7: plugins\.one\.config\.extra: unknown key; remove it or use one of: appId, mode, token/);
  } finally {
    p.cleanup();
  }
});

test('a plugin that cannot be loaded is listed with the structural problems, in one report', async () => {
  const p = new TempProject();
  try {
    p.plugin('plugins/typed.mjs', PLUGIN_WITH_SCHEMA);
    const err = await createError(p, 'server:\n  colour: blue\nplugins:\n  gone:\n    use: ./plugins/missing.mjs\n  one:\n    use: ./plugins/typed.mjs\n    config: { appId: 1, mode: warp }\n');
    assert.is(err.code, 'E_CONFIG_INVALID');
    assert.match(err.message, /has 3 problems/);
    assert.match(err.message, /helios\.yaml:2:3: server\.colour: unknown key/);
    assert.match(err.message, /helios\.yaml:5:10: E_PLUGIN_NOT_FOUND: plugins\.gone\.use: plugin path \.\/plugins\/missing\.mjs does not exist/);
    assert.match(err.message, /helios\.yaml:8:31: plugins\.one\.config\.mode: expected one of "fast", "safe", got "warp"/);
  } finally {
    p.cleanup();
  }
});

test('an unknown key anywhere is an error, not ignored', async () => {
  const p = new TempProject();
  try {
    const err = await createError(p, 'plugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n    confg: {}\n');
    assert.is(err.code, 'E_CONFIG_INVALID');
    assert.match(err.message, /helios\.yaml:4:5: plugins\.secrets\.confg: unknown key; remove it or use one of: use, config, enabled/);
  } finally {
    p.cleanup();
  }
});

test('environments: approval must be a boolean, unknown keys are refused, with positions', async () => {
  const p = new TempProject();
  try {
    const err = await createError(p, 'environments:\n  production:\n    approval: yes please\n  staging:\n    reviewers: [alice]\n');
    assert.is(err.code, 'E_CONFIG_INVALID');
    assert.match(err.message, /helios\.yaml:3:15: environments\.production\.approval: /);
    assert.match(err.message, /helios\.yaml:5:5: environments\.staging\.reviewers: unknown key; remove it or use one of: approval/);
  } finally {
    p.cleanup();
  }
});

test('{ env } reference to a missing variable names the variable and the fix', async () => {
  const p = new TempProject();
  try {
    p.plugin('plugins/typed.mjs', PLUGIN_WITH_SCHEMA);
    const yaml = 'plugins:\n  one:\n    use: ./plugins/typed.mjs\n    config: { appId: 1, mode: fast, token: { env: HOOK_TOKEN } }\n';
    const err = await createError(p, yaml);
    assert.is(err.code, 'E_CONFIG_INVALID');
    assert.match(err.message, /plugins\.one\.config\.token: environment variable HOOK_TOKEN is not set; export it/);
    // With the variable set, the value reaches the plugin.
    p.write('helios.yaml', yaml);
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: { HOOK_TOKEN: 'tok-123456' }, logSink: new MemoryLogSink() });
    assert.equal(kernel.plugins()[0]!.config, { appId: 1, mode: 'fast', token: '<env:HOOK_TOKEN>' });
  } finally {
    p.cleanup();
  }
});

test('{ file } reference is read relative to the config file; a missing file is reported', async () => {
  const p = new TempProject();
  try {
    p.plugin('plugins/typed.mjs', PLUGIN_WITH_SCHEMA);
    const err = await createError(p, 'plugins:\n  one:\n    use: ./plugins/typed.mjs\n    config: { appId: 1, mode: fast, token: { file: keys/token } }\n');
    assert.match(err.message, /plugins\.one\.config\.token: cannot read file keys\/token \(ENOENT\)/);
  } finally {
    p.cleanup();
  }
});

test('YAML errors: duplicate keys, tabs and alias bombs are refused with positions, before expanding', async () => {
  const p = new TempProject();
  try {
    let err = await createError(p, 'server:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n');
    assert.match(err.message, /helios\.yaml:3:3: YAML: Map keys must be unique/);
    err = await createError(p, 'server:\n\tlisten: 127.0.0.1:1\n');
    assert.match(err.message, /helios\.yaml:2:1: YAML: /);
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill('*' + String.fromCharCode(97 + i)).join(',')}]`)].join('\n');
    err = await createError(p, bomb + '\n');
    // yaml's own counter (maxAliasCount: 100) refused it: the 10^10 values were never built.
    assert.match(err.message, /YAML: Excessive alias count indicates a resource exhaustion attack/);
  } finally {
    p.cleanup();
  }
});

test('a missing --config file says how to proceed', async () => {
  const p = new TempProject();
  try {
    const r = await runHelios(['config', 'check', '--config', 'nope.yaml'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /error E_CONFIG_NOT_FOUND: config file nope\.yaml does not exist; create it, or run without --config/);
  } finally {
    p.cleanup();
  }
});

test.run();
