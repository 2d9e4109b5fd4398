import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';

/** A plugin that provides `provides` and depends on `needs` (token names). */
function graphPlugin(p: TempProject, file: string, provides: string, needs: string[], factory = 'return { name: ctx.instance, deps };') {
  const deps = needs.map((n) => `'${n}': defineToken('${n}')`).join(', ');
  p.plugin(
    file,
    `export default definePlugin({ name: 'graph', apiVersion: '1.x', kinds: ['${provides}'], configSchema: Type.Object({}),
  register(ctx) { ctx.provide(defineToken('${provides}'), { deps: { ${deps} }, factory: async (deps) => { await new Promise((r) => setTimeout(r, 5)); ${factory} } }); } });`,
  );
}

async function create(p: TempProject, yaml: string) {
  p.write('helios.yaml', yaml);
  // Only the plugins named: the graph under test, without a default runtime and secrets beside it.
  return Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), embeddedDefaults: false });
}

test('async factories are awaited in dependency order, whatever the config order', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', ['svc.b']);
    graphPlugin(p, 'b.mjs', 'svc.b', ['svc.c']);
    graphPlugin(p, 'c.mjs', 'svc.c', []);
    const kernel = await create(p, 'plugins:\n  a: { use: ./a.mjs }\n  b: { use: ./b.mjs }\n  c: { use: ./c.mjs }\n');
    const { defineToken } = await import('@helios-ci/sdk');
    const a = kernel.resolve(defineToken<{ name: string; deps: Record<string, { name: string; deps: Record<string, { name: string }> }> }>('svc.a'));
    assert.is(a.deps['svc.b']!.name, 'b');
    assert.is(a.deps['svc.b']!.deps['svc.c']!.name, 'c');
    assert.equal(kernel.graph.instanceOrder(), ['c', 'b', 'a']);
  } finally {
    p.cleanup();
  }
});

test('a missing dependency is reported before anything starts, naming plugin and token', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', ['svc.nowhere']);
    try {
      await create(p, 'plugins:\n  alpha: { use: ./a.mjs }\n');
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, 'E_DEPENDENCY_MISSING');
      assert.match((err as Error).message, /plugin "alpha" needs "svc\.nowhere" \(as deps\.svc\.nowhere of its "svc\.a"\), but no enabled plugin provides it/);
    }
  } finally {
    p.cleanup();
  }
});

test('a dependency cycle is reported with the whole loop', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', ['svc.b']);
    graphPlugin(p, 'b.mjs', 'svc.b', ['svc.a']);
    try {
      await create(p, 'plugins:\n  alpha: { use: ./a.mjs }\n  beta: { use: ./b.mjs }\n');
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, 'E_DEPENDENCY_CYCLE');
      assert.match((err as Error).message, /alpha \(provides "svc\.a"\) → beta \(provides "svc\.b"\) → alpha \(provides "svc\.a"\)/);
    }
  } finally {
    p.cleanup();
  }
});

test('a factory that throws names the plugin and keeps the cause', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', [], "throw new Error('disk on fire');");
    try {
      await create(p, 'plugins:\n  alpha: { use: ./a.mjs }\n');
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, 'E_PLUGIN_FACTORY_FAILED');
      assert.match((err as Error).message, /plugin "alpha" failed to build "svc\.a": disk on fire/);
      assert.is(((err as Error).cause as Error).message, 'disk on fire');
    }
  } finally {
    p.cleanup();
  }
});

test('two providers of a single-provider token conflict', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', []);
    try {
      await create(p, 'plugins:\n  one: { use: ./a.mjs }\n  two: { use: ./a.mjs }\n');
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, 'E_TOKEN_CONFLICT');
      assert.match((err as Error).message, /plugins "one" and "two" both provide "svc\.a"/);
    }
  } finally {
    p.cleanup();
  }
});

test('two kernels in one process never share values (one container each)', async () => {
  const p = new TempProject();
  try {
    graphPlugin(p, 'a.mjs', 'svc.a', []);
    const k1 = await create(p, 'plugins:\n  first: { use: ./a.mjs }\n');
    const k2 = await create(p, 'plugins:\n  second: { use: ./a.mjs }\n');
    const { defineToken } = await import('@helios-ci/sdk');
    const token = defineToken<{ name: string }>('svc.a');
    assert.is(k1.resolve(token).name, 'first');
    assert.is(k2.resolve(token).name, 'second');
  } finally {
    p.cleanup();
  }
});

test.run();
