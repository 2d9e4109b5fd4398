import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { TempProject } from '../helpers/tempProject.js';

/**
 * Plugins that record their lifecycle into globalThis.__events; `needs` makes the start order
 * follow the dependency graph; `startFails`/`stopHangs` inject failures. Each instance provides a
 * token named after it, so each gets a module of its own (`life-<name>.mjs`): kinds are static.
 */
function lifecyclePlugin(p: TempProject, ...names: string[]) {
  for (const name of names) p.plugin(
    `life-${name}.mjs`,
    `export default definePlugin({
  name: 'life', apiVersion: '1.x', kinds: ['life.${name}'],
  configSchema: Type.Object({ needs: Type.Optional(Type.String()), startFails: Type.Boolean({ default: false }), stopHangs: Type.Boolean({ default: false }), stopThrows: Type.Boolean({ default: false }) }),
  register(ctx) {
    const log = (e) => (globalThis.__events ??= []).push(e + ':' + ctx.instance);
    const deps = ctx.config.needs ? { dep: defineToken('life.' + ctx.config.needs) } : {};
    ctx.provide(defineToken('life.' + ctx.instance), { deps, factory: () => ctx.instance });
    ctx.onStart(async () => { log('start'); if (ctx.config.startFails) throw new Error('port already taken'); });
    ctx.onStop(async () => {
      log('stop');
      if (ctx.config.stopHangs) await new Promise(() => {});
      if (ctx.config.stopThrows) throw new Error('could not flush');
    });
  },
});`,
  );
}

const events = () => ((globalThis as { __events?: string[] }).__events ??= []);

async function kernelFor(p: TempProject, yaml: string, stopHookTimeoutMs = 2000) {
  events().length = 0;
  p.write('helios.yaml', yaml);
  return Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), stopHookTimeoutMs });
}

test('start runs in dependency order, stop in reverse; stop is idempotent', async () => {
  const p = new TempProject();
  try {
    lifecyclePlugin(p, 'web', 'db', 'disk');
    const kernel = await kernelFor(p, 'plugins:\n  web: { use: ./life-web.mjs, config: { needs: db } }\n  db: { use: ./life-db.mjs, config: { needs: disk } }\n  disk: { use: ./life-disk.mjs }\n');
    await kernel.start();
    assert.equal(events(), ['start:disk', 'start:db', 'start:web']);
    const [first, second] = await Promise.all([kernel.stop(), kernel.stop()]);
    assert.is(first, second);
    assert.equal(events().slice(3), ['stop:web', 'stop:db', 'stop:disk']);
    assert.equal((await kernel.stop()).map((r) => r.outcome), ['ok', 'ok', 'ok']);
    assert.is(events().length, 6, 'a second stop runs no hook again');
  } finally {
    p.cleanup();
  }
});

test('a stop hook that hangs times out and the others still run', async () => {
  const p = new TempProject();
  try {
    lifecyclePlugin(p, 'a', 'b', 'c');
    const kernel = await kernelFor(p, 'plugins:\n  a: { use: ./life-a.mjs }\n  b: { use: ./life-b.mjs, config: { stopHangs: true } }\n  c: { use: ./life-c.mjs, config: { stopThrows: true } }\n', 200);
    await kernel.start();
    const started = Date.now();
    const reports = await kernel.stop();
    assert.ok(Date.now() - started < 1500, 'stop waited for the hanging hook too long');
    assert.equal(reports.map((r) => [r.instance, r.outcome]), [['c', 'failed'], ['b', 'timed_out'], ['a', 'ok']]);
    assert.match(reports[0]!.error!, /could not flush/);
    assert.equal(events().filter((e) => e.startsWith('stop')), ['stop:c', 'stop:b', 'stop:a']);
  } finally {
    p.cleanup();
  }
});

test('a plugin that throws during start aborts the start; what started is stopped', async () => {
  const p = new TempProject();
  try {
    lifecyclePlugin(p, 'a', 'b', 'c');
    const kernel = await kernelFor(p, 'plugins:\n  a: { use: ./life-a.mjs }\n  b: { use: ./life-b.mjs, config: { needs: a, startFails: true } }\n  c: { use: ./life-c.mjs, config: { needs: b } }\n');
    try {
      await kernel.start();
      assert.unreachable();
    } catch (err) {
      assert.is((err as { code: string }).code, 'E_PLUGIN_START_FAILED');
      assert.match((err as Error).message, /plugin "b" failed to start: port already taken/);
    }
    assert.equal(events(), ['start:a', 'start:b', 'stop:a']);
  } finally {
    p.cleanup();
  }
});

test('register-time calls after register() returned are refused', async () => {
  const p = new TempProject();
  try {
    p.plugin('late.mjs', `export default definePlugin({ name: 'late', apiVersion: '1.x', kinds: [], configSchema: Type.Object({}),
  register(ctx) { globalThis.__lateCtx = ctx; } });`);
    p.write('helios.yaml', 'plugins:\n  late: { use: ./late.mjs }\n');
    await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    const ctx = (globalThis as { __lateCtx?: { onStart(fn: () => void): void } }).__lateCtx!;
    assert.throws(() => ctx.onStart(() => {}), /called ctx\.onStart after register\(\) returned/);
  } finally {
    p.cleanup();
  }
});

test.run();
