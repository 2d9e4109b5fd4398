import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verifyPlugin } from '@helios-ci/sdk/testkit';
import { ROLE_ID, SECRET_ID, standIn } from './helpers.js';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../..');

test('verifyPlugin loads the package through the production loader and logs in to Vault', async () => {
  const v = await standIn();
  process.env.HELIOS_TEST_VAULT_SECRET_ID = SECRET_ID;
  try {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { address: v.url, auth: { method: 'approle', roleId: ROLE_ID, secretIdEnv: 'HELIOS_TEST_VAULT_SECRET_ID' } } });
    assert.equal(steps.map((s) => [s.step, s.ok]), [['load', true], ['configure', true], ['start', true], ['stop', true]], JSON.stringify(steps));
    assert.match(steps[0]!.detail, /^@helios-ci\/secrets-vault@\d+\.\d+\.\d+ \(plugin "secrets-vault", API 1\.x, kinds secrets\)/);
    assert.match(steps[1]!.detail, /provides secrets/);
    assert.is(v.count('app-role-login', 200), 1);
  } finally {
    delete process.env.HELIOS_TEST_VAULT_SECRET_ID;
    await v.stop();
  }
});

test('bad configuration is refused at configure with what to change', async () => {
  const base = { address: 'http://127.0.0.1:1' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ auth: { method: 'token', tokenFile: '/a', tokenEnv: 'B' } }, /auth \(token\) needs exactly one of tokenFile, tokenEnv/],
    [{ auth: { method: 'approle', roleId: 'r' } }, /auth \(approle\) needs exactly one of secretIdFile, secretIdEnv \(the secret_id is never written in helios\.yaml\)/],
    [{ auth: { method: 'approle', roleId: 'r', secretId: 'inline' } }, /secretId/],
    [{ auth: { method: 'token', tokenEnv: 'T' }, configPath: 'ci/config/{ref}' }, /jobPaths: template "ci\/\{owner\}\/\{repo\}\/\{name\}" overlaps configPath "ci\/config\/\{ref\}"/],
    [{ auth: { method: 'token', tokenEnv: 'T' }, jobPaths: ['ci/{owner}/{secret}'] }, /uses \{secret\}; allowed here: \{owner\}, \{repo\}, \{name\}/],
    [{ auth: { method: 'token', tokenEnv: 'T' }, jobPaths: ['ci/{owner}/all'] }, /must contain \{name\}/],
  ];
  for (const [config, message] of cases) {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { ...base, ...config } });
    const failed = steps.find((s) => !s.ok);
    assert.ok(failed, `accepted: ${JSON.stringify(config)}`);
    assert.match(failed!.detail, message);
  }
});

test('a Vault that is down at start fails start-up with the reason instead of hanging', async () => {
  const v = await standIn();
  await v.stop();
  process.env.HELIOS_TEST_VAULT_SECRET_ID = SECRET_ID;
  try {
    const steps = await verifyPlugin(PACKAGE_DIR, { config: { address: v.url, retries: 1, retryBackoffMs: 10, auth: { method: 'approle', roleId: ROLE_ID, secretIdEnv: 'HELIOS_TEST_VAULT_SECRET_ID' } } });
    const failed = steps.find((s) => !s.ok)!;
    assert.ok(failed);
    assert.match(failed.detail, /cannot be reached for POST \/v1\/auth\/approle\/login \(ECONNREFUSED\); gave up after 2 attempts/);
  } finally {
    delete process.env.HELIOS_TEST_VAULT_SECRET_ID;
  }
});

test.run();
