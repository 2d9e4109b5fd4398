import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TempProject } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { commandEntries, loadCommands } from '../../src/cli/commands/index.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('plugins list on the embedded defaults shows the default plugins with versions', async () => {
  const p = new TempProject();
  try {
    const r = await runHelios(['plugins', 'list', '--json'], { cwd: p.dir });
    assert.is(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { instance: string; package: string; version: string; kinds: string[] }[];
    const secrets = list.find((x) => x.instance === 'secrets');
    assert.ok(secrets, 'secrets-file is a default plugin');
    assert.is(secrets!.package, '@helios-ci/secrets-file');
    assert.match(secrets!.version, /^\d+\.\d+\.\d+/);
    assert.equal(secrets!.kinds, ['secrets']);
    const table = await runHelios(['plugins', 'list'], { cwd: p.dir });
    assert.match(table.stdout, /^config: \(embedded defaults\)\nINSTANCE\s+PACKAGE\s+KINDS\s+CONFIG\n/);
    assert.match(table.stdout, /secrets\s+@helios-ci\/secrets-file@\d+\.\d+\.\d+\s+secrets/);
  } finally {
    p.cleanup();
  }
});

test('every command has --help, and so has helios itself', async () => {
  const p = new TempProject();
  try {
    const top = await runHelios(['--help'], { cwd: p.dir });
    assert.is(top.code, 0);
    const commands = await loadCommands();
    // The lazy table's words are the ones each command's own file declares.
    assert.equal(commandEntries.map((e) => e.path.join(' ')), commands.map((c) => c.path.join(' ')));
    for (const c of commands) {
      assert.ok(top.stdout.includes(`helios ${c.path.join(' ')}`), `overview lists ${c.path.join(' ')}`);
      const r = await runHelios([...c.path, '--help'], { cwd: p.dir });
      assert.is(r.code, 0, `${c.path.join(' ')} --help`);
      assert.match(r.stdout, new RegExp(`^helios ${c.path.join(' ')} — `));
      assert.match(r.stdout, /Usage: helios /);
    }
  } finally {
    p.cleanup();
  }
});

test('usage errors exit 2 and say what to run instead', async () => {
  const p = new TempProject();
  try {
    let r = await runHelios(['frobnicate'], { cwd: p.dir });
    assert.is(r.code, 2);
    assert.match(r.stderr, /error E_USAGE: unknown command "frobnicate"; run "helios --help"/);
    r = await runHelios(['plugins'], { cwd: p.dir });
    assert.is(r.code, 2);
    assert.match(r.stderr, /try one of:\n  helios plugins list/);
    r = await runHelios(['plugins', 'list', '--bogus'], { cwd: p.dir });
    assert.is(r.code, 2);
    assert.match(r.stderr, /error E_USAGE: Unknown option '--bogus'/);
  } finally {
    p.cleanup();
  }
});

test('config check passes on a good file and reports the plugins it loaded', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', 'server: { listen: 127.0.0.1:9999 }\nplugins:\n  secrets: { use: "@helios-ci/secrets-file" }\n  old: { use: "@helios-ci/nothing-here", enabled: false }\n');
    const r = await runHelios(['config', 'check'], { cwd: p.dir });
    assert.is(r.code, 0, r.stderr);
    // No runtime is configured: the embedded default fills in, with a warning (not an error).
    assert.is(r.stdout, 'helios.yaml: ok (3 plugins: secrets, local, storage)\n');
    assert.match(r.stderr, /^warning: helios\.yaml: no runtime configured: using the embedded default @helios-ci\/runtime-local as instance "local"/);
  } finally {
    p.cleanup();
  }
});

// Issue 19: a command pays only for what it uses. Loading the CLI must not load the HTTP stack (serve
// alone needs it), gRPC (loaded when the agent service is built) or the zip reader (artifacts).
test('loading the CLI loads neither koa, gRPC, protobufjs nor yauzl; they load when used', () => {
  const main = new URL('../../src/cli/main.js', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(main)});
    const loaded = Object.keys(createRequire(import.meta.url)('node:module')._cache);
    const heavy = loaded.filter((f) => /node_modules\\/(koa|@koa|@grpc|protobufjs|yauzl)\\//.test(f));
    await import('@grpc/grpc-js');
    const after = Object.keys(createRequire(import.meta.url)('node:module')._cache).some((f) => f.includes('node_modules/@grpc/grpc-js/'));
    process.stdout.write(JSON.stringify({ heavy, after }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { heavy: string[]; after: boolean };
  assert.equal(out.heavy, [], 'modules loaded at CLI start');
  assert.ok(out.after, 'the probe sees a module once it is loaded (the check can fail)');
});

test.run();
