// The test that the packages work outside the monorepo: `npm pack` every publishable workspace,
// install the tarballs into a fresh project in a temp directory (third-party dependencies from the
// npm registry), write a plugin there against the installed sdk only, and use it the way a third
// party would: the CLI from node_modules/.bin, the test kit's conformance suite, the agent bundle.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bhyveHostScripts, conformanceTestSource, expectedInstances, heliosEnv, heliosYaml, pluginPackageJson, pluginSource } from './thirdPartyPlugin.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const NPM_TIMEOUT_MS = 300_000;

interface Workspace {
  dir: string;
  pkg: { name: string; version: string; private?: boolean; main?: string; types?: string; bin?: Record<string, string>; exports?: unknown; files?: string[] };
}

function workspaces(): Workspace[] {
  const patterns = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  const dirs = patterns.flatMap((p) => {
    if (!p.endsWith('/*')) return [p];
    const base = p.slice(0, -2);
    return readdirSync(join(repoRoot, base), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${base}/${d.name}`);
  });
  return dirs
    .filter((d) => existsSync(join(repoRoot, d, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Workspace['pkg'] }));
}

const publishable = workspaces().filter((w) => !w.pkg.private);

// npm run by `npm test` passes its own settings down as npm_config_* variables; the child npm runs
// in another project and must read only the user's and the machine's npmrc.
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
}

function describe(what: string, r: SpawnSyncReturns<string>): string {
  const status = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `${what} failed (${status})\n--- stderr ---\n${r.stderr?.trimEnd() ?? ''}\n--- stdout (tail) ---\n${(r.stdout ?? '').slice(-4000).trimEnd()}`;
}

function npm(args: string[], cwd: string): string {
  const r = run('npm', args, cwd);
  if (r.status !== 0) throw new Error(describe(`npm ${args.join(' ')} (in ${cwd})`, r));
  return r.stdout;
}

function node(args: string[], cwd: string, env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return run(process.execPath, args, cwd, env);
}

/** Every relative path a package.json field points at (main, types, bin, exports targets). */
function declaredTargets(pkg: Workspace['pkg']): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  for (const v of [pkg.main, pkg.types, pkg.bin, pkg.exports]) walk(v);
  return [...new Set(out.filter((t) => t.startsWith('./') && !t.includes('*')).map((t) => t.slice(2)))];
}

const work = realpathSync(mkdtempSync(join(tmpdir(), 'helios-package-check-')));
const tarballDir = join(work, 'tarballs');
const project = join(work, 'project');
const state: { packed?: Map<string, { filename: string; files: string[] }>; installed?: boolean; secretsKind?: string } = {};
const versions = new Map(publishable.map((w) => [w.pkg.name, w.pkg.version]));

function requireInstalled(): void {
  if (!state.installed) throw new Error('the tarballs were not installed; see the failure of "the tarballs install into a fresh project" above');
}

test.after(() => {
  rmSync(work, { recursive: true, force: true });
});

test('the project lies outside the repository', () => {
  assert.ok(relative(repoRoot, work).startsWith('..'), `${work} is inside ${repoRoot}`);
  assert.ok(publishable.length >= 8, `expected sdk, core, proto, agent and the plugins to be publishable, found ${publishable.map((w) => w.pkg.name).join(', ')}`);
});

test('helios is on the repository\'s node_modules/.bin and runs after the build', () => {
  const helios = join(repoRoot, 'node_modules/.bin/helios');
  assert.ok(existsSync(helios), `${helios} is missing: npm ci links the bin of @helios-ci/core; check core/package.json "bin"`);
  assert.ok((statSync(helios).mode & 0o111) !== 0, `${helios} is not executable: scripts/build.mjs marks bin targets executable`);
  const r = run(helios, ['--version'], repoRoot);
  assert.is(r.status, 0, describe('node_modules/.bin/helios --version', r));
  assert.is(r.stdout.trim(), `helios ${versions.get('@helios-ci/core')}`);
});

test('every publishable package packs what it declares, with README and CHANGELOG and no tests', () => {
  mkdirSync(tarballDir, { recursive: true });
  const out = npm(['pack', '--json', '--pack-destination', tarballDir, ...publishable.flatMap((w) => ['--workspace', w.dir])], repoRoot);
  const report = JSON.parse(out) as { name: string; filename: string; files: { path: string }[] }[];
  state.packed = new Map(report.map((r) => [r.name, { filename: join(tarballDir, r.filename), files: r.files.map((f) => f.path) }]));
  const problems: string[] = [];
  for (const { pkg } of publishable) {
    const packed = state.packed.get(pkg.name);
    if (!packed) {
      problems.push(`${pkg.name}: not packed`);
      continue;
    }
    for (const must of ['package.json', 'README.md', 'CHANGELOG.md', ...declaredTargets(pkg)]) {
      if (!packed.files.includes(must)) problems.push(`${pkg.name}: ${must} is declared or required but not in the tarball (check "files" and that the build ran)`);
    }
    for (const f of packed.files) {
      if (/(^|\/)test\//.test(f) || f.endsWith('.test.js') || /(^|\/)src\/.*\.ts$/.test(f) && !f.endsWith('.d.ts')) {
        problems.push(`${pkg.name}: ${f} should not be published`);
      }
    }
  }
  assert.equal(problems, []);
});

test('the tarballs install into a fresh project', () => {
  assert.ok(state.packed, 'packing failed');
  const tarballs = Object.fromEntries([...state.packed].map(([name, t]) => [name, `file:${relative(project, t.filename)}`]));
  mkdirSync(join(project, 'plugins/memory-secrets'), { recursive: true });
  // Until the packages are on the registry, the @helios-ci packages core depends on come from the
  // tarballs too; everything else comes from the npm registry. The plugin author adds uvu for the
  // test kit (an optional peer of the sdk).
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'third-party-ci', private: true, type: 'module', dependencies: tarballs, devDependencies: { uvu: '0.5.6' } }, null, 2),
  );
  // --ignore-scripts: the one install script in the tree is better-sqlite3's native build (minutes
  // on a busy machine); nothing this test runs opens the store.
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], project);
  state.installed = true;
  for (const name of state.packed.keys()) {
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    assert.ok(installed.version, `${name} is installed`);
  }
  // One sdk in the tree: tokens are compared by identity, so core and the plugins must share it.
  const sdkCopies = npm(['ls', '@helios-ci/sdk', '--all', '--parseable'], project).trim().split('\n').filter(Boolean);
  assert.equal(sdkCopies.map((p) => relative(project, p)), [join('node_modules', '@helios-ci', 'sdk')]);
});

test('the sdk main entry loads with neither core nor uvu installed; the test kit names what it needs', () => {
  assert.ok(state.packed, 'packing failed');
  const alone = join(work, 'sdk-alone');
  mkdirSync(alone);
  const sdk = state.packed.get('@helios-ci/sdk')!;
  writeFileSync(join(alone, 'package.json'), JSON.stringify({ name: 'sdk-alone', private: true, type: 'module', dependencies: { '@helios-ci/sdk': `file:${relative(alone, sdk.filename)}` } }));
  npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], alone);
  assert.not.ok(existsSync(join(alone, 'node_modules/@helios-ci/core')), 'installing the sdk pulled in @helios-ci/core');
  assert.not.ok(existsSync(join(alone, 'node_modules/uvu')), 'installing the sdk pulled in uvu');
  const main = node(['--input-type=module', '-e', "const m = await import('@helios-ci/sdk'); console.log(typeof m.definePlugin, typeof m.HeliosError, typeof m.SecretsToken)"], alone);
  assert.is(main.status, 0, describe('import @helios-ci/sdk', main));
  assert.is(main.stdout.trim(), 'function function object');
  // Without uvu the test kit cannot load: it must say so by name rather than pass silently.
  const kit = node(['--input-type=module', '-e', "await import('@helios-ci/sdk/testkit')"], alone);
  assert.is.not(kit.status, 0, 'the test kit loaded without uvu');
  assert.match(kit.stderr, /uvu/);
});

test('a third-party plugin imports the installed sdk main entry and test kit', () => {
  requireInstalled();
  writeFileSync(join(project, 'plugins/memory-secrets/package.json'), JSON.stringify(pluginPackageJson, null, 2));
  writeFileSync(join(project, 'plugins/memory-secrets/index.js'), pluginSource);
  const r = node(
    ['--input-type=module', '-e', "const sdk = await import('@helios-ci/sdk'); const kit = await import('@helios-ci/sdk/testkit'); const p = (await import('./plugins/memory-secrets/index.js')).default; console.log(JSON.stringify({ plugin: sdk.isPlugin(p), kit: typeof kit.secretsConformance, token: sdk.SecretsToken.name }))"],
    project,
  );
  assert.is(r.status, 0, describe('importing the sdk, the test kit and the plugin', r));
  const got = JSON.parse(r.stdout) as { plugin: boolean; kit: string; token: string };
  assert.equal({ plugin: got.plugin, kit: got.kit }, { plugin: true, kit: 'function' });
  state.secretsKind = got.token;
});

test('helios from node_modules/.bin checks the config and lists the plugins', () => {
  requireInstalled();
  const helios = join(project, 'node_modules/.bin/helios');
  assert.ok(existsSync(helios), 'node_modules/.bin/helios is missing');
  assert.ok((statSync(helios).mode & 0o111) !== 0, 'node_modules/.bin/helios is not executable');
  writeFileSync(join(project, 'helios.yaml'), heliosYaml);
  mkdirSync(join(project, 'bhyve-host'), { recursive: true });
  for (const [name, body] of Object.entries(bhyveHostScripts)) writeFileSync(join(project, 'bhyve-host', name), body, { mode: 0o755 });
  const env = cleanEnv(heliosEnv);
  // Run the bin itself (its shebang), as a user's shell would.
  const check = run(helios, ['config', 'check'], project, env);
  assert.is(check.status, 0, describe('helios config check', check));
  const list = run(helios, ['plugins', 'list', '--json'], project, env);
  assert.is(list.status, 0, describe('helios plugins list --json', list));
  const plugins = JSON.parse(list.stdout) as { instance: string; package: string; version: string; enabled: boolean; kinds: string[] }[];
  assert.equal(Object.fromEntries(plugins.map((p) => [p.instance, p.package])), expectedInstances);
  for (const p of plugins) {
    if (p.enabled) assert.ok(p.kinds.length > 0, `${p.instance} provides nothing`);
    if (p.enabled && p.package.startsWith('@helios-ci/')) assert.is(p.version, versions.get(p.package), `${p.instance}: installed version`);
  }
  assert.ok(plugins.find((p) => p.instance === 'vault')!.kinds.includes(state.secretsKind ?? '(the sdk did not load)'), 'the third-party plugin does not provide Secrets');
  for (const secret of [heliosEnv.GITHUB_HOOK_SECRET, heliosEnv.FORGEJO_TOKEN, 'BEGIN RSA PRIVATE KEY']) {
    assert.not.ok(list.stdout.includes(secret), 'plugins list printed a secret');
  }
});

test("the plugin passes the installed test kit's Secrets conformance suite", () => {
  requireInstalled();
  const file = join(project, 'plugins/memory-secrets/conformance.test.js');
  writeFileSync(file, conformanceTestSource);
  const r = node([file], project, cleanEnv({ FORCE_COLOR: '0' }));
  assert.is(r.status, 0, describe('the conformance suite', r));
  const total = Number(/Total:\s+(\d+)/.exec(r.stdout)?.[1]);
  const passed = Number(/Passed:\s+(\d+)/.exec(r.stdout)?.[1]);
  assert.ok(total > 0 && passed === total, `conformance: ${passed} of ${total} passed\n${r.stdout}`);
});

test('the agent bundle runs on its own and the proto files are installed', () => {
  requireInstalled();
  const bundle = join(project, 'node_modules/@helios-ci/agent/dist/helios-agent.mjs');
  assert.ok(existsSync(bundle), 'the agent bundle is not installed');
  // The bundle is what a machine image carries: it must run with no node_modules beside it.
  const bare = join(work, 'bare');
  mkdirSync(bare);
  copyFileSync(bundle, join(bare, 'helios-agent.mjs'));
  const help = node([join(bare, 'helios-agent.mjs'), '--help'], bare);
  assert.is(help.status, 0, describe('helios-agent --help', help));
  assert.match(help.stderr + help.stdout, /helios-agent/);
  // runtime-local finds the bundle through the package's exports, as it does at run time.
  const resolved = node(['--input-type=module', '-e', "import { createRequire } from 'node:module'; console.log(createRequire(import.meta.resolve('@helios-ci/runtime-local')).resolve('@helios-ci/agent/bundle'))"], project);
  assert.is(resolved.status, 0, describe('resolving @helios-ci/agent/bundle from runtime-local', resolved));
  assert.is(realpathSync(resolved.stdout.trim()), realpathSync(bundle));
  const proto = node(['--input-type=module', '-e', "const p = await import('@helios-ci/proto'); console.log(p.agentProtoFile)"], project);
  assert.is(proto.status, 0, describe('import @helios-ci/proto', proto));
  const protoFile = proto.stdout.trim();
  assert.ok(protoFile.startsWith(join(project, 'node_modules') + sep), `${protoFile} is not in the installed tree`);
  assert.match(readFileSync(protoFile, 'utf8'), /^syntax = "proto3";/m);
});

test.run();
