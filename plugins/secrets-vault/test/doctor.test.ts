// helios doctor for secrets-vault, through the real CLI against the Vault stand-in: healthy (token
// TTL), sealed (the exact verdicts, exit 1), unreachable.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { CI_PATHS, standIn } from './helpers.js';
import type { VaultStandIn } from './standIn/vaultStandIn.js';

async function withDeployment(fn: (dir: string, v: VaultStandIn) => Promise<void>, o: { ttlSeconds?: number; renewable?: boolean; address?: string } = {}): Promise<void> {
  const v = await standIn();
  const dir = mkdtempSync(join(tmpdir(), 'helios-vault-doctor-'));
  try {
    writeFileSync(join(dir, 'vault-token'), v.issueToken({ ttlSeconds: o.ttlSeconds ?? 7200, renewable: o.renewable ?? true, paths: CI_PATHS }), { mode: 0o600 });
    writeFileSync(
      join(dir, 'helios.yaml'),
      `server:
  dataDir: ./data
plugins:
  vault:
    use: "@helios-ci/secrets-vault"
    config:
      address: ${o.address ?? v.url}
      auth: { method: token, tokenFile: ${join(dir, 'vault-token')} }
      retries: 0
      requestTimeoutSeconds: 2
`,
    );
    await fn(dir, v);
  } finally {
    await v.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a healthy Vault: reachable, unsealed, the token and its TTL; exit 0', () =>
  withDeployment(async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.is(r.verdict('vault', 'reachable')?.status, 'ok');
    assert.equal(r.verdict('vault', 'unsealed'), { source: 'vault', name: 'unsealed', status: 'ok', message: 'unsealed and active' });
    const ttl = r.verdict('vault', 'token TTL')!;
    assert.is(ttl.status, 'ok');
    assert.match(ttl.message, /^(2\.0|1\.9) h left, renewable \(Helios renews it\)$/);
  }));

test('a sealed Vault: "unsealed" is an error with the unseal fix, the plugin cannot build; exit 1', () =>
  withDeployment(async (dir, v) => {
    v.sealed = true;
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.is(r.verdict('vault', 'reachable')?.status, 'ok');
    const sealed = r.verdict('vault', 'unsealed')!;
    assert.is(sealed.status, 'error');
    assert.is(sealed.message, 'Vault is sealed or unavailable (HTTP 503: Vault is sealed)');
    assert.match(sealed.fix!, /^unseal it: vault operator unseal/);
    const build = r.verdict('vault', 'plugin builds')!;
    assert.is(build.status, 'error');
    assert.match(build.message, /^E_PLUGIN_FACTORY_FAILED: plugin "vault" failed to build "secrets": Vault answered HTTP 503/);
    assert.match(build.fix!, /unseal it \(vault operator unseal\)/);
    assert.is(r.report!.errors, 2);
  }));

test('a short-lived token that cannot be renewed is a warning', () =>
  withDeployment(async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const ttl = r.verdict('vault', 'token TTL')!;
    assert.is(ttl.status, 'warning');
    assert.match(ttl.message, /^\d+ s left and not renewable$/);
  }, { ttlSeconds: 600, renewable: false }));

test('an unreachable Vault is an error naming the address', async () => {
  await withDeployment(async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const v = r.verdict('vault', 'reachable')!;
    assert.is(v.status, 'error');
    assert.match(v.message, /^Vault at http:\/\/127\.0\.0\.1:1 cannot be reached for GET \/v1\/auth\/token\/lookup-self \(ECONNREFUSED\)$/);
    assert.match(v.fix!, /start Vault, or fix address/);
  }, { address: 'http://127.0.0.1:1' });
});

test.run();
