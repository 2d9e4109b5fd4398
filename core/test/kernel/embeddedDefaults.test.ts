import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RuntimeToken, SecretsToken, StorageToken, type Storage } from '@helios-ci/sdk';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { resolveRunsOn } from '../../src/workflow/runsOn.js';
import { selectRuntime } from '../../src/orchestrator/runtimeSelector.js';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

const SERVER_ONLY = 'server:\n  listen: 127.0.0.1:9090\n';
const WORKFLOW = 'on: push\njobs:\n  build:\n    runs-on: local\n    steps: [{ run: make }]\n';

/** A project that is also a repository with one workflow on runs-on: local. */
function repoProject(yaml: string): TempProject {
  const p = new TempProject();
  mkdirSync(join(p.dir, '.git'));
  p.write('.github/workflows/ci.yml', WORKFLOW);
  p.write('helios.yaml', yaml);
  return p;
}

test('a helios.yaml with only server: gets the default runtime, secrets and storage backends, with a log line each', async () => {
  const p = repoProject(SERVER_ONLY);
  try {
    const sink = new MemoryLogSink();
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: sink });
    assert.equal(kernel.resolveAll(RuntimeToken).map((r) => [r.id, r.labels.includes('local')]), [['local', true]]);
    assert.ok(kernel.resolve(SecretsToken));
    assert.equal(kernel.filledDefaults.map((d) => [d.kind, d.instance, d.package]), [
      ['runtime', 'local', '@helios-ci/runtime-local'],
      ['secrets', 'secrets', '@helios-ci/secrets-file'],
      ['storage', 'storage', '@helios-ci/storage-dir'],
    ]);
    const logged = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.kind);
    assert.equal(logged.map((l) => [l.level, l.kind, l.instance, l.package]), [
      ['warn', 'runtime', 'local', '@helios-ci/runtime-local'],
      ['warn', 'secrets', 'secrets', '@helios-ci/secrets-file'],
      ['warn', 'storage', 'storage', '@helios-ci/storage-dir'],
    ]);
    assert.match(String(logged[0]!.msg), /^no runtime configured: using the embedded default @helios-ci\/runtime-local as instance "local" \(jobs run as local processes; isolates nothing\)/);
  } finally {
    p.cleanup();
  }
});

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

/** Writes a blob and a warm head through the Storage and returns the storage root it landed in. */
async function useStorage(storage: Storage, dataDir: string): Promise<string> {
  const root = join(dataDir, 'plugins', storage.id, 'storage');
  const blob = await storage.writeBlob('artifact', bytes('artifact bytes'), { jobId: 'job-1', group: 'local/acme/widget' });
  assert.is(readFileSync(join(root, blob.id), 'utf8'), 'artifact bytes');
  const warm = await storage.openWarm(null, 'job-1');
  const head = await storage.commitWarm(warm);
  assert.ok(existsSync(join(root, head)));
  assert.is(statSync(root).mode & 0o777, 0o700);
  return root;
}

test('a server-only config and the config-less embedded defaults both have a Storage, under the data dir', async () => {
  const p = repoProject('server:\n  dataDir: ./state\n');
  try {
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    await kernel.start();
    assert.is(kernel.resolve(StorageToken).id, 'storage');
    await useStorage(kernel.resolve(StorageToken), join(p.dir, 'state'));
    await kernel.stop();

    // No helios.yaml at all (helios serve / helios run without --config): storage is in the embedded config.
    const bare = await Kernel.create({ cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    assert.equal(bare.filledDefaults, []);
    assert.ok(bare.plugins().some((x) => x.instance === 'storage' && x.package === '@helios-ci/storage-dir'));
    await bare.start();
    await useStorage(bare.resolve(StorageToken), join(p.dir, '.helios'));
    await bare.stop();
  } finally {
    p.cleanup();
  }
});

test('config check warns of each filled-in kind and exits 0; plugins list marks the defaults', async () => {
  const p = repoProject(SERVER_ONLY);
  try {
    const r = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'helios.yaml: ok (3 plugins: local, secrets, storage)\n');
    const warnings = r.stderr.trimEnd().split('\n');
    assert.equal(warnings.length, 3, r.stderr);
    assert.match(warnings[0]!, /^warning: helios\.yaml: no runtime configured: using the embedded default @helios-ci\/runtime-local as instance "local" \(jobs run as local processes; isolates nothing\); configure a runtime plugin under plugins: to choose one$/);
    assert.match(warnings[1]!, /^warning: helios\.yaml: no secrets configured: using the embedded default @helios-ci\/secrets-file as instance "secrets" \(env-only: secrets come from HELIOS_SECRET_<NAME> variables, no secrets file\)/);
    assert.match(warnings[2]!, /^warning: helios\.yaml: no storage configured: using the embedded default @helios-ci\/storage-dir as instance "storage" \(plain directories under the data dir: caches, artifacts and warm paths are copies, not clones\); configure a storage plugin under plugins: to choose one$/);

    const list = await runHelios(['plugins', 'list'], { cwd: p.dir });
    assert.is(list.code, 0, list.stderr);
    assert.match(list.stdout, /^local \(default\)\s+@helios-ci\/runtime-local@\S+\s+runtime\s/m);
    assert.match(list.stdout, /^secrets \(default\)\s+@helios-ci\/secrets-file@\S+\s+secrets\s/m);
    assert.match(list.stdout, /^storage \(default\)\s+@helios-ci\/storage-dir@\S+\s+storage\s/m);
    const json = await runHelios(['plugins', 'list', '--json'], { cwd: p.dir });
    assert.equal((JSON.parse(json.stdout) as { instance: string; default: boolean }[]).map((x) => [x.instance, x.default]), [['local', true], ['secrets', true], ['storage', true]]);
  } finally {
    p.cleanup();
  }
});

test('helios plan on a server-only config serves runs-on: local', async () => {
  const p = repoProject(SERVER_ONLY);
  try {
    const r = await runHelios(['plan'], { cwd: p.dir });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /  build  \[runs-on: local; needs: -\]/);
  } finally {
    p.cleanup();
  }
});

test('a configured kind is not filled; a configured forge named "local" pushes the default aside', async () => {
  const p = new TempProject();
  try {
    p.plugin('rt.mjs', `import { RuntimeToken } from '@helios-ci/sdk';
export default definePlugin({ name: 'rt', apiVersion: '1.x', kinds: ['runtime'], configSchema: Type.Object({}),
  register(ctx) { ctx.provide(RuntimeToken, { factory: () => ({ id: ctx.instance, labels: ['zone'] }) }); } });`);
    p.plugin('other.mjs', `export default definePlugin({ name: 'other', apiVersion: '1.x', kinds: [], configSchema: Type.Object({}), register() {} });`);
    p.write('helios.yaml', 'plugins:\n  zones:\n    use: ./rt.mjs\n');
    let kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    assert.equal(kernel.filledDefaults.map((d) => d.kind), ['secrets', 'storage']);
    assert.equal(kernel.resolveAll(RuntimeToken).map((r) => r.id), ['zones']);

    p.write('helios.yaml', 'plugins:\n  local:\n    use: ./other.mjs\n');
    kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink() });
    assert.equal(kernel.filledDefaults.map((d) => [d.kind, d.instance]), [['runtime', 'local-default'], ['secrets', 'secrets'], ['storage', 'storage']]);
    assert.equal(kernel.resolveAll(RuntimeToken).map((r) => r.id), ['local-default']);
  } finally {
    p.cleanup();
  }
});

test('a disabled default is a choice: nothing is filled, and planning says no runtime is configured', async () => {
  const p = repoProject('plugins:\n  local:\n    use: "@helios-ci/runtime-local"\n    enabled: false\n  secrets:\n    use: "@helios-ci/secrets-file"\n  files:\n    use: "@helios-ci/storage-dir"\n    enabled: false\n');
  try {
    const check = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(check.code, 0, check.stderr);
    assert.is(check.stderr, '');
    const r = await runHelios(['plan'], { cwd: p.dir });
    assert.is(r.code, 1);
    assert.match(r.stdout, /runs-on label "local" is not served: no runtime is configured\. Configure a runtime plugin with that label in helios\.yaml/);
    assert.not.match(r.stdout, /labels available/);
  } finally {
    p.cleanup();
  }
});

test('an empty label list reads as "no runtime is configured", never as an empty enumeration', () => {
  const ctx = { github: {}, inputs: {}, matrix: {} } as unknown as Parameters<typeof resolveRunsOn>[1];
  const none = resolveRunsOn('local', ctx, []);
  assert.equal(none, { ok: false, message: 'runs-on label "local" is not served: no runtime is configured. Configure a runtime plugin with that label in helios.yaml (e.g. @helios-ci/runtime-local, which serves "local")' });
  // The orchestrator's twin (a job reaching provisioning with no runtime at all).
  assert.throws(() => selectRuntime([], ['local']), (err: Error) => err.message === 'no runtime is configured, so nothing serves runs-on [local]; configure a runtime plugin in helios.yaml (e.g. @helios-ci/runtime-local, which serves "local")');
  assert.throws(() => selectRuntime([{ id: 'z', labels: ['zone'] } as never], ['local']), /the runtimes serve: zone; change runs-on/);
  const some = resolveRunsOn(['a', 'b'], ctx, ['local']);
  assert.equal(some, { ok: false, message: 'runs-on labels "a", "b" are not served by any configured runtime; labels available: local. Change runs-on or configure a runtime with that label' });
});

test('the test kit and verifyPlugin load only what they name (no defaults filled)', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', SERVER_ONLY);
    const kernel = await Kernel.create({ configPath: 'helios.yaml', cwd: p.dir, env: {}, logSink: new MemoryLogSink(), embeddedDefaults: false });
    assert.equal(kernel.plugins(), []);
    assert.equal(kernel.filledDefaults, []);
  } finally {
    p.cleanup();
  }
});

test.run();
