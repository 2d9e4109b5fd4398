import semver from 'semver';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { definePlugin, isApiRange, PLUGIN_API_VERSION, Type } from '@helios-ci/sdk';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

async function refused(p: TempProject, yaml: string): Promise<{ code: string; message: string }> {
  p.write('helios.yaml', yaml);
  try {
    await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), embeddedDefaults: false });
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the kernel to refuse this config');
}

const rangePlugin = (range: string) =>
  `export default definePlugin({ name: 'ranged', apiVersion: ${JSON.stringify(range)}, kinds: [], configSchema: Type.Object({}), register() {} });`;

test('the kernel speaks a semver plugin API version', () => {
  assert.is(PLUGIN_API_VERSION, '1.0.0');
  assert.ok(semver.valid(PLUGIN_API_VERSION));
});

test('a plugin built for another API range (2.x, 0.x) is refused, naming both and the fix', async () => {
  for (const range of ['2.x', '0.x', '^2.0.0', '>=1.1.0']) {
    // A project per range: a module path is imported once per process.
    const p = new TempProject();
    try {
      p.plugin('ranged.mjs', rangePlugin(range));
      const err = await refused(p, 'plugins:\n  ranged:\n    use: ./ranged.mjs\n');
      assert.is(err.code, 'E_PLUGIN_API_MISMATCH', range);
      assert.ok(
        err.message.includes(`plugins.ranged.use: ./ranged.mjs@0.0.0 is built for plugin API "${range}", but this Helios kernel speaks plugin API 1.0.0, which is outside that range`),
        err.message,
      );
      assert.match(err.message, /install a release of the plugin built for plugin API 1\.x/);
    } finally {
      p.cleanup();
    }
  }
});

test('plugins built for 1.x, ^1.0.0, ~1.0 or >=1.0.0 <2.0.0 load', async () => {
  for (const range of ['1.x', '^1.0.0', '~1.0', '>=1.0.0 <2.0.0', '1.0.0 - 1.9.0', '0.x || 1.x']) {
    const p = new TempProject();
    try {
      p.plugin('ranged.mjs', rangePlugin(range));
      p.write('helios.yaml', 'plugins:\n  ranged:\n    use: ./ranged.mjs\n');
      const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), embeddedDefaults: false });
      assert.is(kernel.plugins()[0]!.instance, 'ranged', range);
    } finally {
      p.cleanup();
    }
  }
});

test('a plugin written against an sdk before 1.0 (numeric apiVersion) is refused with the rebuild advice', async () => {
  const p = new TempProject();
  try {
    // What an old plugin module looks like: brand, number, no kinds (not made by this sdk's definePlugin).
    p.write('old.mjs', `export default { [Symbol.for('helios-ci/plugin')]: true, name: 'old', apiVersion: 1, configSchema: { [Symbol.for('TypeBox.Kind')]: 'Object', type: 'object', properties: {} }, register() {} };`);
    const err = await refused(p, 'plugins:\n  old:\n    use: ./old.mjs\n');
    assert.is(err.code, 'E_PLUGIN_API_MISMATCH');
    assert.match(err.message, /declares apiVersion 1, not a semver range: it was built with an sdk before 1\.0\.0\. This Helios kernel speaks plugin API 1\.0\.0; rebuild the plugin against @helios-ci\/sdk \^1\.0\.0 and write apiVersion: '1\.x'/);
  } finally {
    p.cleanup();
  }
});

test('definePlugin refuses a missing, numeric, constant-imported or invalid range with a TypeError', () => {
  const base = { name: 'x', kinds: [], configSchema: Type.Object({}), register() {} };
  for (const bad of [undefined, 1, 1.0, '', '*', 'latest', 'one', '1.x.x.x', '>= =1', '^', null]) {
    assert.throws(
      () => definePlugin({ ...base, apiVersion: bad as unknown as string }),
      (err: unknown) => err instanceof TypeError && /apiVersion must be the plugin API range it was built for, as a literal semver range string such as '1\.x'/.test((err as Error).message),
      String(bad),
    );
  }
  assert.throws(() => definePlugin({ ...base, apiVersion: '1.x', kinds: 'secrets' as unknown as string[] }), /kinds must list the token names register\(\) provides/);
  assert.throws(() => definePlugin({ ...base, apiVersion: '1.x', kinds: ['secrets', 'secrets'] }), /kinds must list the token names register\(\) provides, each once/);
  assert.throws(() => definePlugin({ ...base, apiVersion: '1.x', kinds: ['Not A Token'] }), /kinds must list/);
  assert.equal(definePlugin({ ...base, apiVersion: '1.x', kinds: ['secrets'] }).kinds, ['secrets']);
});

test("every range definePlugin accepts is one semver reads (the sdk's check is a subset of the kernel's)", () => {
  const accepted = ['1', '1.x', '1.X', '1.*', '1.0', '1.0.0', '^1.0.0', '~1.2', '~>1.2.3', '>=1.0.0 <2.0.0', '>= 1.0.0', '1.0.0 - 1.4.0', '1.x || 2.x', '=1.0.0', '<2', 'v1.2.3', '1.0.0-beta.1'];
  for (const range of accepted) {
    assert.ok(isApiRange(range), `sdk refuses ${range}`);
    assert.ok(semver.validRange(range) !== null, `semver refuses ${range}, which the sdk accepts`);
  }
  for (const range of ['', '*', 'x', 'latest', '1.x.x.x', 'one', '>>1', '1 - ', '||']) assert.not.ok(isApiRange(range), `sdk accepts ${range}`);
});

const KINDS_PLUGIN = (kinds: string, body: string) =>
  `import { SecretsToken, ForgeToken } from '@helios-ci/sdk';
export default definePlugin({ name: 'vaultish', apiVersion: '1.x', kinds: ${kinds}, configSchema: Type.Object({}),
  register(ctx) { ${body} } });`;

test('a plugin that declares a kind and provides nothing is refused at load, naming both lists', async () => {
  const p = new TempProject();
  try {
    p.plugin('vault.mjs', KINDS_PLUGIN(`['secrets']`, ''));
    p.write('helios.yaml', 'plugins:\n  vault:\n    use: ./vault.mjs\n');
    const r = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stderr, /error E_PLUGIN_INVALID: plugin "vault" \(\.\/vault\.mjs\) declares "secrets" but register\(\) did not provide it: its kinds are \[secrets\], what it provided is \[\] \(nothing\)/);
    assert.match(r.stderr, /fix its definePlugin\(\{ kinds \}\) or the ctx\.provide\(\.\.\.\) calls in register\(\)/);
  } finally {
    p.cleanup();
  }
});

test('a plugin that provides under another token than it declares is refused, naming both lists', async () => {
  const p = new TempProject();
  try {
    p.plugin('vault.mjs', KINDS_PLUGIN(`['secrets']`, `ctx.provide(defineToken('vault.secrets'), { factory: () => ({}) });`));
    let err = await refused(p, 'plugins:\n  vault:\n    use: ./vault.mjs\n');
    assert.is(err.code, 'E_PLUGIN_INVALID');
    assert.match(err.message, /plugin "vault" \(\.\/vault\.mjs\) declares "secrets" but register\(\) did not provide it, and provided "vault\.secrets" without declaring it: its kinds are \[secrets\], what it provided is \[vault\.secrets\]/);

    // Provided but not declared (a secrets backend that forgot its kinds).
    p.plugin('quiet.mjs', KINDS_PLUGIN('[]', `ctx.provide(SecretsToken, { factory: () => ({ resolve: async () => ({}), read: async () => undefined }) });`).replace("'vaultish'", "'quiet'"));
    err = await refused(p, 'plugins:\n  quiet:\n    use: ./quiet.mjs\n');
    assert.is(err.code, 'E_PLUGIN_INVALID');
    assert.match(err.message, /plugin "quiet" \(\.\/quiet\.mjs\) provided "secrets" without declaring it: its kinds are \[\] \(nothing\), what it provided is \[secrets\]/);
  } finally {
    p.cleanup();
  }
});

test('a forge with a hard-coded id is refused by config check, naming the id and the instance', async () => {
  const p = new TempProject();
  try {
    p.plugin(
      'forge.mjs',
      `import { ForgeToken, SecretsToken } from '@helios-ci/sdk';
export default definePlugin({ name: 'hardcoded', apiVersion: '1.x', kinds: ['forge'], configSchema: Type.Object({}),
  register(ctx) { ctx.provide(ForgeToken, { factory: () => ({ id: 'github', capabilities: {} }) }); } });`,
    );
    p.write('helios.yaml', 'plugins:\n  gh-enterprise:\n    use: ./forge.mjs\n');
    const r = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(
      r.stderr,
      /error E_PLUGIN_ID_MISMATCH: plugin "gh-enterprise" \(\.\/forge\.mjs\) provides a forge whose id is "github", but a forge's id must be its instance name "gh-enterprise" \(the kernel mounts its webhooks at POST \/hooks\/<id>, so they would arrive at \/hooks\/github\); build it with id: ctx\.instance/,
    );
    // The same plugin under the instance name its id happens to have passes.
    p.write('helios.yaml', 'plugins:\n  github:\n    use: ./forge.mjs\n');
    const ok = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(ok.code, 0, ok.stderr);
  } finally {
    p.cleanup();
  }
});

test('a runtime whose id is not its instance name is refused too', async () => {
  const p = new TempProject();
  try {
    p.plugin(
      'rt.mjs',
      `import { RuntimeToken } from '@helios-ci/sdk';
export default definePlugin({ name: 'rt', apiVersion: '1.x', kinds: ['runtime'], configSchema: Type.Object({}),
  register(ctx) { ctx.provide(RuntimeToken, { factory: () => ({ id: 'local', labels: ['x'] }) }); } });`,
    );
    const err = await refused(p, 'plugins:\n  zones:\n    use: ./rt.mjs\n');
    assert.is(err.code, 'E_PLUGIN_ID_MISMATCH');
    assert.match(err.message, /plugin "zones" \(\.\/rt\.mjs\) provides a runtime whose id is "local", but a runtime's id must be its instance name "zones"/);
  } finally {
    p.cleanup();
  }
});

test.run();
