import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { isHeliosError } from '@helios-ci/sdk';
import { secretsConformance, verifyPlugin, createTestKernel } from '@helios-ci/sdk/testkit';
import { SecretsToken } from '@helios-ci/sdk';
import { FileSecrets } from '../src/secretsFile.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'helios-secrets-'));
}

function writeSecrets(dir: string, text: string, mode = 0o600): string {
  const file = join(dir, 'secrets.yaml');
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

// The conformance suite, with the seed written as a real file (config refs in their own section).
secretsConformance('secrets-file', async (seed) => {
  const dir = tempDir();
  const file = writeSecrets(dir, stringify({ config: seed.refs, secrets: seed.global, repos: seed.repos }));
  return { subject: new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: {} }), cleanup: () => rmSync(dir, { recursive: true }) };
}).run();

test('a file readable by group or others is refused with the chmod to run', () => {
  const dir = tempDir();
  try {
    const file = writeSecrets(dir, 'secrets:\n  A: b\n', 0o644);
    try {
      new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: {} });
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_SECRETS_FILE_PERMISSIONS');
      assert.is(err.message, `secrets file ${file} is readable by group or others (mode 644); run: chmod 600 ${file}`);
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('HELIOS_SECRET_<NAME> variables supply secrets; repo-scoped file entries still win', async () => {
  const dir = tempDir();
  try {
    const file = writeSecrets(dir, 'secrets:\n  TOKEN: from-file\nrepos:\n  acme/widget:\n    TOKEN: from-repo\n');
    const s = new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: { HELIOS_SECRET_TOKEN: 'from-env', HELIOS_CONFIG_SECRET_GITHUB_APP_KEY: 'ref-from-env' } });
    assert.equal(await s.resolve({ repo: 'other/x', event: 'push', names: ['TOKEN'] }), { TOKEN: 'from-env' });
    assert.equal(await s.resolve({ repo: 'acme/widget', event: 'push', names: ['TOKEN'] }), { TOKEN: 'from-repo' });
    assert.is(await s.read('github/app-key'), 'ref-from-env');
    const envOnly = new FileSecrets({ file: null, envPrefix: 'HELIOS_SECRET_', env: { HELIOS_SECRET_NPM: 'n' } });
    assert.equal(await envOnly.resolve({ repo: 'a/b', event: 'push', names: ['NPM', 'OTHER'] }), { NPM: 'n' });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a job with an environment: its entries for the repository, then for every repository, win over the repository and global ones', async () => {
  const dir = tempDir();
  try {
    const file = writeSecrets(dir, 'secrets:\n  A: global\n  B: global\n  C: global\n  D: global\nrepos:\n  acme/widget:\n    A: repo\n    B: repo\n    C: repo\nenvironments:\n  Production:\n    secrets:\n      A: env\n      B: env\n    repos:\n      acme/widget:\n        A: env-repo\n');
    const s = new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: { HELIOS_SECRET_D: 'from-env-var' } });
    const names = ['A', 'B', 'C', 'D'];
    assert.equal(await s.resolve({ repo: 'acme/widget', event: 'push', names, environment: 'production' }), { A: 'env-repo', B: 'env', C: 'repo', D: 'from-env-var' });
    assert.equal(await s.resolve({ repo: 'acme/other', event: 'push', names, environment: 'PRODUCTION' }), { A: 'env', B: 'env', C: 'global', D: 'from-env-var' });
    assert.equal(await s.resolve({ repo: 'acme/widget', event: 'push', names }), { A: 'repo', B: 'repo', C: 'repo', D: 'from-env-var' }, 'no environment: no environment level');
    assert.equal(await s.resolve({ repo: 'acme/widget', event: 'push', names, environment: 'staging' }), { A: 'repo', B: 'repo', C: 'repo', D: 'from-env-var' }, 'an environment without entries changes nothing');
    writeSecrets(dir, 'environments:\n  prod:\n    secret:\n      A: x\n');
    const bad = await s.resolve({ repo: 'acme/widget', event: 'push', names: ['A'] }).catch((e: unknown) => e);
    assert.ok(isHeliosError(bad) && bad.code === 'E_SECRETS_FILE_INVALID' && /unknown key "environments\.prod\.secret"/.test(bad.message), String(bad));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('config and job namespaces stay apart in the environment too', async () => {
  const env = { HELIOS_SECRET_FORGEJO_TOKEN: 'job-value', HELIOS_CONFIG_SECRET_FORGEJO_TOKEN: 'config-value', HELIOS_CONFIG_SECRET_GITHUB_APP_KEY: 'app-key' };
  const s = new FileSecrets({ file: null, envPrefix: 'HELIOS_SECRET_', env });
  assert.is(await s.read('forgejo/token'), 'config-value');
  assert.is(await s.read('FORGEJO_TOKEN'), 'config-value');
  assert.equal(await s.resolve({ repo: 'a/b', event: 'push', names: ['FORGEJO_TOKEN', 'GITHUB_APP_KEY'] }), { FORGEJO_TOKEN: 'job-value' });
  const configOnly = new FileSecrets({ file: null, envPrefix: 'HELIOS_SECRET_', env: { HELIOS_CONFIG_SECRET_FORGEJO_TOKEN: 'config-value' } });
  assert.equal(await configOnly.resolve({ repo: 'a/b', event: 'push', names: ['FORGEJO_TOKEN'] }), {});
  assert.is(await new FileSecrets({ file: null, envPrefix: 'HELIOS_SECRET_', env: { HELIOS_SECRET_FORGEJO_TOKEN: 'job' } }).read('forgejo/token'), undefined);
  for (const [envPrefix, configEnvPrefix] of [['HELIOS_', 'HELIOS_CONFIG_'], ['X_', 'X_']]) {
    try {
      new FileSecrets({ file: null, envPrefix: envPrefix!, configEnvPrefix, env: {} });
      assert.unreachable(`${envPrefix} / ${configEnvPrefix} accepted`);
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.match(err.message, /overlap/);
    }
  }
});

test('an edited file is picked up without a restart', async () => {
  const dir = tempDir();
  try {
    const file = writeSecrets(dir, 'secrets:\n  A: one\n');
    const s = new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: {} });
    assert.equal(await s.resolve({ repo: 'a/b', event: 'push', names: ['A'] }), { A: 'one' });
    writeSecrets(dir, 'secrets:\n  A: two-longer\n');
    assert.equal(await s.resolve({ repo: 'a/b', event: 'push', names: ['A'] }), { A: 'two-longer' });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bad files are explained without quoting any value', async () => {
  const dir = tempDir();
  try {
    const cases: [string, RegExp][] = [
      ['secrets:\n  A: "unterminated\n', /not valid YAML at line \d+, column \d+/],
      ['secrets:\n  PORT: 8080\n', /"secrets\.PORT" must be a string; quote it/],
      ['secrets:\n  github/app-key: hunter22\n', /"secrets\.github\/app-key" is not a valid job secret name .*belong under "config:"/],
      ['tokens:\n  A: b\n', /unknown top-level key "tokens"/],
      ['repos:\n  nope:\n    A: b\n', /repos key "nope" must be owner\/name/],
      ['repos:\n  a/b:\n    "BAD-NAME": hunter22\n', /"repos\.a\/b\.BAD-NAME" is not a valid secret name/],
      ['secrets:\n  A: x\n  A: y\n', /not valid YAML/],
    ];
    for (const [text, expected] of cases) {
      const file = writeSecrets(dir, text);
      try {
        new FileSecrets({ file, envPrefix: 'HELIOS_SECRET_', env: {} });
        assert.unreachable(text);
      } catch (err) {
        assert.ok(isHeliosError(err), String(err));
        assert.is(err.code, 'E_SECRETS_FILE_INVALID');
        assert.match(err.message, expected);
        assert.not.ok(err.message.includes('hunter22'));
      }
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('verifyPlugin loads the package through the production loader, step by step', async () => {
  const dir = tempDir();
  try {
    writeSecrets(dir, 'secrets:\n  A: b\n');
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { path: join(dir, 'secrets.yaml') }, configDir: dir });
    assert.equal(steps.map((s) => [s.step, s.ok]), [['load', true], ['configure', true], ['start', true], ['stop', true]]);
    assert.match(steps[0]!.detail, /^@helios-ci\/secrets-file@\d+\.\d+\.\d+ \(plugin "secrets-file", API 1\.x, kinds secrets\)/);
    assert.match(steps[1]!.detail, /provides secrets/);
    const bad = await verifyPlugin(PACKAGE_DIR, { config: { path: 'missing.yaml' }, configDir: dir });
    assert.equal(bad.map((s) => [s.step, s.ok, s.code]), [['load', true, undefined], ['configure', false, 'E_PLUGIN_FACTORY_FAILED']]);
    assert.match(bad[1]!.detail, /secrets file .*missing\.yaml cannot be read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("verifyPlugin('.') from the package's own directory verifies this package", async () => {
  const dir = tempDir();
  const before = process.cwd();
  try {
    writeSecrets(dir, 'secrets:\n  A: b\n');
    // As a plugin's own tests run it: `npm test` in the package root, '.' meaning this package.
    process.chdir(PACKAGE_DIR);
    const steps = await verifyPlugin('.', { config: { path: join(dir, 'secrets.yaml') } });
    assert.equal(steps.filter((s) => !s.ok), []);
    assert.match(steps[0]!.detail, /^@helios-ci\/secrets-file@\S+ \(plugin "secrets-file", API 1\.x, kinds secrets\) from .*\/dist\/src\/index\.js$/);
    assert.equal(steps.map((s) => s.step), ['load', 'configure', 'start', 'stop']);
  } finally {
    process.chdir(before);
    rmSync(dir, { recursive: true });
  }
});

test('createTestKernel gives a started kernel whose Secrets resolve', async () => {
  const dir = tempDir();
  try {
    writeSecrets(dir, 'secrets:\n  NPM_TOKEN: abc123\n');
    const kernel = await createTestKernel({ plugins: { secrets: { use: PACKAGE_DIR, config: { path: 'secrets.yaml' } } }, configDir: dir });
    const secrets = kernel.resolve(SecretsToken);
    assert.equal(await secrets.resolve({ repo: 'a/b', event: 'push', names: ['NPM_TOKEN'] }), { NPM_TOKEN: 'abc123' });
    assert.equal((await kernel.stop()).length, 0);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test.run();
