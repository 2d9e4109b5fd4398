// `helios worker` reports config problems like `serve` (file:line:col, exit 1), and `helios config
// check` checks worker configs too — without needing NATS to be reachable.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { heliosCliPath } from '@helios-ci/sdk/testkit';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

function helios(dir: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [heliosCliPath(), ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'helios-worker-config-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const QUEUE = `  queue:\n    use: "@helios-ci/queue-nats"\n    config: { servers: [nats://127.0.0.1:1] }\n`;

test('a bad worker: section is an E_CONFIG_INVALID with file:line:col, from worker and from config check', () =>
  withDir({ 'worker.yaml': `server:\n  dataDir: ./data\nworker:\n  id: host-a\n  capacity: 0\nplugins:\n${QUEUE}` }, (dir) => {
    for (const args of [['worker', '--config', 'worker.yaml'], ['config', 'check', '--config', 'worker.yaml']]) {
      const r = helios(dir, ...args);
      assert.is(r.code, 1, r.out);
      assert.match(r.out, 'E_CONFIG_INVALID');
      assert.match(r.out, /worker\.yaml:5:\d+: worker\.capacity: /);
    }
  }));

test('a worker without a queue plugin, or with a forge, is refused with the position of what to fix', () =>
  withDir(
    {
      'worker.yaml': `worker: { id: host-a, capacity: 2 }\nplugins:\n  local: { use: "@helios-ci/runtime-local" }\n`,
      'other.yaml': `worker: { id: host-b }\nplugins:\n${QUEUE}  fake:\n    use: ./recordingForge.mjs\n    config: { repoDir: . }\n`,
    },
    (dir) => {
      for (const args of [['worker', '--config', 'worker.yaml'], ['config', 'check', '--config', 'worker.yaml']]) {
        const r = helios(dir, ...args);
        assert.is(r.code, 1, r.out);
        assert.match(r.out, /worker\.yaml:1:1: worker: a worker needs a queue plugin that reaches control/);
      }
      // A forge plugin (the test forge, a third-party plugin finding the sdk in its own node_modules).
      copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(dir, 'recordingForge.mjs'));
      mkdirSync(join(dir, 'node_modules/@helios-ci'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'sdk'), join(dir, 'node_modules/@helios-ci/sdk'), 'dir');
      const r = helios(dir, 'config', 'check', '--config', 'other.yaml');
      assert.is(r.code, 1, r.out);
      assert.match(r.out, /other\.yaml:6:3: plugins\.fake: a worker has no forge/);
    },
  ));

test('helios worker on a config without a worker: section says to add one', () =>
  withDir({ 'helios.yaml': `plugins:\n${QUEUE}` }, (dir) => {
    const r = helios(dir, 'worker', '--config', 'helios.yaml');
    assert.is(r.code, 1, r.out);
    assert.match(r.out, 'helios.yaml:1:1: a worker config needs a worker: section');
  }));

test('config check passes a good worker config without connecting to NATS', () =>
  withDir({ 'worker.yaml': `worker: { id: host-a, capacity: 2 }\nplugins:\n${QUEUE}  local: { use: "@helios-ci/runtime-local", config: { labels: [illumos] } }\n` }, (dir) => {
    const r = helios(dir, 'config', 'check', '--config', 'worker.yaml');
    assert.is(r.code, 0, r.out);
    assert.match(r.out, 'worker.yaml: ok');
  }));

test.run();
