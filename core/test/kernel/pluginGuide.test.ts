import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT } from '../helpers/tempProject.js';
import { runHelios } from '../helpers/runCliCapture.js';

/** The files of the sdk README's worked example: fenced blocks tagged `file=<path>`. */
function guideFiles(): Record<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'sdk/README.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const m of readme.matchAll(/^```\w+ file=(\S+)\n([\s\S]*?)^```$/gm)) files[m[1]!] = m[2]!;
  return files;
}

/** The example as a third party would have it: its own directory, the sdk, core and uvu installed. */
function installExample(): { root: string; pluginDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'helios-guide-'));
  const pluginDir = join(root, 'helios-secrets-json');
  for (const [path, text] of Object.entries(guideFiles())) {
    mkdirSync(dirname(join(pluginDir, path)), { recursive: true });
    writeFileSync(join(pluginDir, path), text);
  }
  mkdirSync(join(pluginDir, 'node_modules/@helios-ci'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'sdk'), join(pluginDir, 'node_modules/@helios-ci/sdk'), 'dir');
  symlinkSync(join(REPO_ROOT, 'core'), join(pluginDir, 'node_modules/@helios-ci/core'), 'dir');
  symlinkSync(join(REPO_ROOT, 'node_modules/uvu'), join(pluginDir, 'node_modules/uvu'), 'dir');
  return { root, pluginDir };
}

function runNode(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH, HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish:\n${out}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('the README guide has the three files of its worked example', () => {
  assert.equal(Object.keys(guideFiles()).sort(), ['index.js', 'package.json', 'test/secretsJson.test.js']);
  const pkg = JSON.parse(guideFiles()['package.json']!) as { peerDependencies: Record<string, string> };
  assert.equal(pkg.peerDependencies, { '@helios-ci/sdk': '^1.0.0' });
});

test("the guide's test file passes when run from the plugin's directory (conformance + verifyPlugin('.'))", async () => {
  const { root, pluginDir } = installExample();
  try {
    const r = await runNode(['test/secretsJson.test.js'], pluginDir);
    assert.is(r.code, 0, r.out);
    // uvu sums both runs (the conformance suite, then the file's own two tests) in one total.
    assert.match(r.out, /Secrets conformance: secrets-json\s+(• )+\s*\((\d+) \/ \2\)/);
    const [, total, passed] = /Total:\s+(\d+)\s+Passed:\s+(\d+)/.exec(r.out) ?? [];
    assert.is(passed, total, r.out);
    assert.ok(Number(total) >= 10, `the conformance suite and the two tests ran: ${r.out}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the guide\'s plugin passes helios config check from a relative use path, and its errors say what to fix', async () => {
  const { root } = installExample();
  try {
    writeFileSync(join(root, 'secrets.json'), JSON.stringify({ secrets: { A: 'b' } }));
    writeFileSync(join(root, 'helios.yaml'), 'plugins:\n  secrets:\n    use: ./helios-secrets-json\n    config: { path: secrets.json }\n');
    const ok = await runHelios(['config', 'check'], { cwd: root });
    assert.is(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^helios\.yaml: ok \(3 plugins: secrets, local, storage\)/);
    writeFileSync(join(root, 'helios.yaml'), 'plugins:\n  secrets:\n    use: ./helios-secrets-json\n    config: { path: missing.json }\n');
    const bad = await runHelios(['config', 'check'], { cwd: root });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, /error E_PLUGIN_FACTORY_FAILED: plugin "secrets" failed to build "secrets": cannot read .*missing\.json as JSON \(ENOENT\); fix the file or the path in helios\.yaml/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
