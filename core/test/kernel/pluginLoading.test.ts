import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';

async function refused(p: TempProject, yaml: string): Promise<{ code: string; message: string }> {
  p.write('helios.yaml', yaml);
  try {
    await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected the kernel to refuse this config');
}

const COUNTER = `export const Counter = defineToken('test.counter', { multiple: true });
export default definePlugin({
  name: 'counter', apiVersion: '1.x', kinds: ['test.counter'],
  configSchema: Type.Object({ start: Type.Integer({ default: 0 }) }, { additionalProperties: false }),
  register(ctx) { ctx.provide(Counter, { factory: () => ({ instance: ctx.instance, value: ctx.config.start }) }); },
});`;

test('a third-party plugin loads from a path relative to the config file', async () => {
  const p = new TempProject();
  try {
    p.plugin('vendor/counter/index.mjs', COUNTER);
    p.write('conf/helios.yaml', 'plugins:\n  count:\n    use: ../vendor/counter/index.mjs\n    config: { start: 5 }\n');
    const kernel = await Kernel.create({ configPath: 'conf/helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    const { Counter } = await import(`${p.dir}/vendor/counter/index.mjs`);
    assert.equal(kernel.resolveAll(Counter), [{ instance: 'count', value: 5 }]);
    const info = kernel.plugins()[0]!;
    assert.is(info.instance, 'count');
    assert.equal(info.kinds, ['test.counter']);
  } finally {
    p.cleanup();
  }
});

test('two instances of one plugin each get their own config and value', async () => {
  const p = new TempProject();
  try {
    p.plugin('counter.mjs', COUNTER);
    p.write('helios.yaml', 'plugins:\n  ghes-a:\n    use: ./counter.mjs\n    config: { start: 1 }\n  ghes-b:\n    use: ./counter.mjs\n    config: { start: 2 }\n');
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    const { Counter } = await import(`${p.dir}/counter.mjs`);
    assert.equal(kernel.resolveAll(Counter), [
      { instance: 'ghes-a', value: 1 },
      { instance: 'ghes-b', value: 2 },
    ]);
  } finally {
    p.cleanup();
  }
});

test('a package plugin resolves from node_modules next to the config, with its version', async () => {
  const p = new TempProject();
  try {
    p.pkg('helios-plugin-acme', '2.3.4', `import { definePlugin, Type } from '@helios-ci/sdk';
export default definePlugin({ name: 'acme', apiVersion: '1.x', kinds: [], configSchema: Type.Object({}), register() {} });`);
    p.write('helios.yaml', 'plugins:\n  acme:\n    use: helios-plugin-acme\n');
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), embeddedDefaults: false });
    assert.equal(kernel.plugins().map((x) => [x.package, x.version]), [['helios-plugin-acme', '2.3.4']]);
  } finally {
    p.cleanup();
  }
});

test('plugin not found: says what was looked up and where', async () => {
  const p = new TempProject();
  try {
    let err = await refused(p, 'plugins:\n  gl:\n    use: "@acme/helios-gitlab"\n');
    assert.is(err.code, 'E_PLUGIN_NOT_FOUND');
    assert.match(err.message, /plugins\.gl\.use: plugin package @acme\/helios-gitlab is not installed\. Looked in:/);
    assert.ok(err.message.includes(`${p.dir}/node_modules/@acme/helios-gitlab`), 'lists the directory next to the config');
    assert.match(err.message, /npm install @acme\/helios-gitlab/);
    err = await refused(p, 'plugins:\n  gl:\n    use: ./plugins/missing.mjs\n');
    assert.is(err.code, 'E_PLUGIN_NOT_FOUND');
    assert.match(err.message, /plugin path \.\/plugins\/missing\.mjs does not exist \(resolved to .*plugins\/missing\.mjs, relative to the config file's directory\)/);
    err = await refused(p, 'plugins:\n  gl:\n    use: "not a name!"\n');
    assert.match(err.message, /is neither an npm package name nor a path/);
  } finally {
    p.cleanup();
  }
});

test('a package without the plugin brand is refused', async () => {
  const p = new TempProject();
  try {
    p.pkg('not-a-plugin', '1.0.0', `export default { name: 'fake', apiVersion: 1, register() {} };`);
    const err = await refused(p, 'plugins:\n  fake:\n    use: not-a-plugin\n');
    assert.is(err.code, 'E_PLUGIN_INVALID');
    assert.match(err.message, /plugins\.fake\.use: not-a-plugin@1\.0\.0 is not a Helios plugin: its default export must be the result of definePlugin/);
  } finally {
    p.cleanup();
  }
});

test('an apiVersion mismatch names both versions', async () => {
  const p = new TempProject();
  try {
    p.plugin('future.mjs', `export default definePlugin({ name: 'future', apiVersion: '7.x', kinds: [], configSchema: Type.Object({}), register() {} });`);
    const err = await refused(p, 'plugins:\n  future:\n    use: ./future.mjs\n');
    assert.is(err.code, 'E_PLUGIN_API_MISMATCH');
    assert.match(err.message, /is built for plugin API "7\.x", but this Helios kernel speaks plugin API 1\.0\.0, which is outside that range/);
  } finally {
    p.cleanup();
  }
});

test('a plugin module that fails to import is reported with its cause', async () => {
  const p = new TempProject();
  try {
    p.write('broken.mjs', 'export default definePlugin(;\n');
    const err = await refused(p, 'plugins:\n  broken:\n    use: ./broken.mjs\n');
    assert.is(err.code, 'E_PLUGIN_IMPORT_FAILED');
    assert.match(err.message, /plugins\.broken\.use: importing \.\/broken\.mjs .* failed: /);
  } finally {
    p.cleanup();
  }
});

test('a plugin brand from another sdk copy is still recognised (Symbol.for)', async () => {
  const p = new TempProject();
  try {
    // No sdk import at all: only the shared brand symbol.
    p.write('bare.mjs', `export default { [Symbol.for('helios-ci/plugin')]: true, name: 'bare', apiVersion: '1.x', kinds: [], configSchema: { [Symbol.for('TypeBox.Kind')]: 'Object', type: 'object', properties: {} }, register() {} };`);
    p.write('helios.yaml', 'plugins:\n  bare:\n    use: ./bare.mjs\n');
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    assert.is(kernel.plugins()[0]!.instance, 'bare');
  } finally {
    p.cleanup();
  }
});

test('a plain JSON schema instead of a typebox schema is refused clearly', async () => {
  const p = new TempProject();
  try {
    p.write('plain.mjs', `export default { [Symbol.for('helios-ci/plugin')]: true, name: 'plain', apiVersion: '1.x', kinds: [], configSchema: { type: 'object' }, register() {} };`);
    const err = await refused(p, 'plugins:\n  plain:\n    use: ./plain.mjs\n');
    assert.is(err.code, 'E_PLUGIN_INVALID');
    assert.match(err.message, /has no valid configSchema; it must be a typebox schema/);
  } finally {
    p.cleanup();
  }
});

test.run();
