// helios doctor through the real CLI: a healthy deployment on the embedded defaults, an unwritable
// data dir, a plugin that fails to load, a damaged store; each with the exact verdicts.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { Store } from '../../src/store/index.js';
import { TempProject } from '../helpers/tempProject.js';

const NOBODY = 65534;

test('a healthy deployment: every check ok, exit 0', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', 'server:\n  dataDir: ./data\n');
    Store.open({ path: join(p.dir, 'data/helios.db') }).close();
    const r = await runHeliosDoctor(p.dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.report!.ok);
    const bad = r.report!.checks.filter((c) => c.status !== 'ok');
    // The kinds nobody configured are filled with defaults: that is the only remark allowed.
    assert.equal(bad, []);
    for (const [source, name] of [
      ['helios', 'node'],
      ['helios', 'git'],
      ['helios', 'config'],
      ['helios', 'data dir writable'],
      ['helios', 'data dir free space'],
      ['helios', 'store integrity'],
      ['helios', 'store schema'],
      ['helios', 'plugins build'],
      ['secrets', 'plugin loads'],
      ['local', 'plugin loads'],
    ] as const) {
      assert.is(r.verdict(source, name)?.status, 'ok', `${source}: ${name}`);
    }
    assert.match(r.verdict('helios', 'store integrity')!.message, /PRAGMA integrity_check ok$/);
    assert.match(r.verdict('secrets', 'plugin loads')!.message, /^@helios-ci\/secrets-file@\d+\.\d+\.\d+ \(embedded default\)$/);
  } finally {
    p.cleanup();
  }
});

test('an unwritable data dir is an error with the fix; exit 1', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', 'server:\n  dataDir: ./data\n');
    mkdirSync(join(p.dir, 'data'), { mode: 0o755 });
    chmodSync(p.dir, 0o755);
    chmodSync(join(p.dir, 'helios.yaml'), 0o644);
    // Root writes anywhere: the check runs as an unprivileged user, as the service would.
    const asNobody = process.getuid?.() === 0;
    if (!asNobody) chmodSync(join(p.dir, 'data'), 0o555);
    const r = await runHeliosDoctor(p.dir, asNobody ? { uid: NOBODY, gid: NOBODY, env: { HOME: '/tmp' } } : {});
    assert.is(r.code, 1, r.stdout + r.stderr);
    const v = r.verdict('helios', 'data dir writable')!;
    assert.is(v.status, 'error');
    assert.is(v.message, `${join(p.dir, 'data')} is not writable (EACCES)`);
    assert.match(v.fix!, /chown helios .*chmod 700/);
    // And so the local runtime cannot make its directory there: the second (and last) error.
    assert.match(r.verdict('local', 'plugin builds')!.message, /^E_PLUGIN_FACTORY_FAILED: plugin "local" failed to build "runtime": EACCES/);
    assert.is(r.report!.errors, 2, JSON.stringify(r.report!.checks.filter((c) => c.status === 'error')));
  } finally {
    p.cleanup();
  }
});

test('a plugin that fails to load is named, with its error code; exit 1', async () => {
  const p = new TempProject();
  try {
    p.plugin('broken.mjs', "throw new Error('boom at import');");
    p.write('helios.yaml', 'server:\n  dataDir: ./data\nplugins:\n  broken:\n    use: ./broken.mjs\n');
    const r = await runHeliosDoctor(p.dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const v = r.verdict('broken', 'plugin loads')!;
    assert.is(v.status, 'error');
    assert.match(v.message, /^\.\/broken\.mjs: E_PLUGIN_IMPORT_FAILED: .*boom at import/);
    assert.match(v.fix!, /reinstall the plugin/);
    // Host checks still ran.
    assert.is(r.verdict('helios', 'git')?.status, 'ok');
  } finally {
    p.cleanup();
  }
});

test('a damaged store fails PRAGMA integrity_check', async () => {
  const p = new TempProject();
  try {
    p.write('helios.yaml', 'server:\n  dataDir: ./data\n');
    mkdirSync(join(p.dir, 'data'));
    writeFileSync(join(p.dir, 'data/helios.db'), Buffer.alloc(8192, 7));
    const r = await runHeliosDoctor(p.dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const v = r.verdict('helios', 'store integrity')!;
    assert.is(v.status, 'error');
    assert.match(v.message, /file is not a database/);
    assert.match(v.fix!, /helios restore/);
  } finally {
    p.cleanup();
  }
});

test.run();
