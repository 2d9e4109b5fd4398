import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { CI_PATHS, makeSecrets, ROLE_ID, SECRET_ID, standIn } from './helpers.js';
import type { VaultStandIn } from './standIn/vaultStandIn.js';

// Tokens with TTLs of seconds, so renewal and re-login happen while a loop keeps reading.

const scope = { repo: 'acme/widget', event: 'push', names: ['A'] };

/** Reads A every 100 ms for `ms`; every read must succeed. */
async function keepReading(secrets: { resolve: typeof import('../src/vaultSecrets.js').VaultSecrets.prototype.resolve }, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    assert.equal(await secrets.resolve(scope), { A: 'a' });
    n++;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

function noExpiredTokenSent(v: VaultStandIn): void {
  const bad = v.requests.filter((r) => r.expiredToken);
  assert.is(bad.length, 0, `requests sent with an expired token: ${JSON.stringify(bad)}`);
}

test('the token is renewed (renew-self) at about 2/3 of its TTL; no request carries an expired token', async () => {
  const v = await standIn();
  try {
    v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 3, maxTtlSeconds: 60, paths: CI_PATHS });
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session, lines } = await makeSecrets(v, { secrets: { cacheTtlMs: 0 } });
    await keepReading(secrets, 4500);
    const renewals = v.requests.filter((r) => r.operationId === 'token-renew-self');
    assert.ok(renewals.length >= 1, 'no renewal');
    assert.ok(renewals.every((r) => r.status === 200));
    assert.is(v.count('app-role-login'), 1, 'renewal worked, so no second login');
    // The first renewal came at ~2 s of a 3 s lease (2/3), not at the last moment or at once.
    const login = v.requests.find((r) => r.operationId === 'app-role-login')!;
    const after = renewals[0]!.at - login.at;
    assert.ok(after >= 1500 && after < 3000, `first renewal ${after} ms after login`);
    noExpiredTokenSent(v);
    assert.ok(lines.some((l) => l.msg === 'vault token ready' && l.fields.why === 'scheduled'));
    session.stop();
  } finally {
    await v.stop();
  }
});

test('renewal refused: AppRole logs in again and no read fails', async () => {
  const v = await standIn();
  try {
    v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 2, maxTtlSeconds: 60, paths: CI_PATHS });
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session, lines } = await makeSecrets(v, { secrets: { cacheTtlMs: 0 } });
    v.refuseRenewals = true;
    await keepReading(secrets, 3500);
    assert.ok(v.count('token-renew-self', 403) >= 1, 'renewal was not tried');
    assert.ok(v.count('app-role-login', 200) >= 2, 'no re-login');
    noExpiredTokenSent(v);
    assert.ok(lines.some((l) => l.level === 'warn' && /renewal refused; logging in again/.test(l.msg)));
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a token at its max TTL is not renewed forever: AppRole logs in again', async () => {
  const v = await standIn();
  try {
    v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 2, maxTtlSeconds: 3, paths: CI_PATHS });
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session } = await makeSecrets(v, { secrets: { cacheTtlMs: 0 } });
    await keepReading(secrets, 4500);
    assert.ok(v.count('app-role-login', 200) >= 2, 'no re-login after max TTL');
    noExpiredTokenSent(v);
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a request never goes out with an expired token even when the timer could not run (event loop blocked)', async () => {
  const v = await standIn();
  try {
    v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 1, maxTtlSeconds: 60, paths: CI_PATHS });
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session } = await makeSecrets(v, { secrets: { cacheTtlMs: 0 } });
    // Block the loop past the lease: the renewal timer cannot fire in time.
    const until = Date.now() + 1300;
    while (Date.now() < until) {
      /* busy */
    }
    assert.equal(await secrets.resolve(scope), { A: 'a' });
    noExpiredTokenSent(v);
    assert.ok(v.count('app-role-login') >= 2, 'an expired token must be replaced by a login (it cannot be renewed)');
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a revoked token: the 403 leads to one new login and the read succeeds', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session } = await makeSecrets(v, { secrets: { cacheTtlMs: 0 } });
    await new Promise((r) => setTimeout(r, 1100));
    for (const t of [...v.tokens.keys()]) v.revoke(t);
    assert.equal(await secrets.resolve(scope), { A: 'a' });
    assert.is(v.count('app-role-login', 200), 2);
    session.stop();
  } finally {
    await v.stop();
  }
});

test('token auth from a file: checked with lookup-self; a non-renewable token that expired is a clear error, never sent', async () => {
  const v = await standIn();
  const dir = mkdtempSync(join(tmpdir(), 'helios-vault-token-'));
  try {
    v.put('ci/_global/A', { value: 'a' });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, v.issueToken({ ttlSeconds: 1, renewable: false, paths: CI_PATHS }) + '\n', { mode: 0o600 });
    const { secrets, session } = await makeSecrets(v, { auth: { method: 'token', tokenFile } });
    assert.is(v.count('token-look-up-self', 200), 1);
    assert.equal(await secrets.resolve(scope), { A: 'a' });
    await new Promise((r) => setTimeout(r, 1200));
    try {
      await secrets.resolve({ ...scope, names: ['B'] });
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_VAULT_AUTH_FAILED');
      assert.match(err.message, /the Vault token is not renewable and has expired; token auth cannot log in again/);
    }
    noExpiredTokenSent(v);
    // A renewable token is renewed like an AppRole one.
    writeFileSync(tokenFile, v.issueToken({ ttlSeconds: 2, renewable: true, paths: CI_PATHS }));
    const renewable = await makeSecrets(v, { auth: { method: 'token', tokenFile }, secrets: { cacheTtlMs: 0 } });
    await keepReading(renewable.secrets, 2500);
    assert.ok(v.count('token-renew-self', 200) >= 1);
    noExpiredTokenSent(v);
    session.stop();
    renewable.session.stop();
  } finally {
    rmSync(dir, { recursive: true });
    await v.stop();
  }
});

test('wrong credentials are explained: bad AppRole (400), bad token (403), missing secret_id variable', async () => {
  const v = await standIn();
  try {
    const cases: [Parameters<typeof makeSecrets>[1], string, RegExp][] = [
      [{ env: { VAULT_SECRET_ID: 'wrong' } }, 'E_VAULT_AUTH_FAILED', /AppRole login at auth\/approle\/login failed \(HTTP 400: invalid role or secret ID\); check roleId and the secret_id in \$VAULT_SECRET_ID/],
      [{ env: {} }, 'E_VAULT_CONFIG', /environment variable VAULT_SECRET_ID \(the secret_id\) is not set/],
      [{ auth: { method: 'token', tokenEnv: 'VAULT_TOKEN' }, env: { VAULT_TOKEN: 'hvs.not-a-token' } }, 'E_VAULT_AUTH_FAILED', /Vault does not accept the token from \$VAULT_TOKEN \(lookup-self: HTTP 403: permission denied\)/],
      [{ auth: { method: 'approle', mount: 'approle', roleId: ROLE_ID, secretIdFile: '/nonexistent/secret-id' } }, 'E_VAULT_CONFIG', /the secret_id file \/nonexistent\/secret-id cannot be read \(ENOENT\)/],
    ];
    for (const [o, code, message] of cases) {
      try {
        await makeSecrets(v, o);
        assert.unreachable(String(message));
      } catch (err) {
        assert.ok(isHeliosError(err), String(err));
        assert.is(err.code, code);
        assert.match(err.message, message);
        assert.not.ok(err.message.includes(SECRET_ID));
      }
    }
  } finally {
    await v.stop();
  }
});

test('TLS: a CA bundle makes a self-signed Vault trusted; without it the error says to set caBundle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'helios-vault-tls-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    const v = await standIn({ tls });
    try {
      v.put('ci/_global/A', { value: 'a' });
      assert.match(v.url, /^https:/);
      const { secrets, session } = await makeSecrets(v, { ca: tls.cert });
      assert.equal(await secrets.resolve(scope), { A: 'a' });
      session.stop();
      try {
        await makeSecrets(v, { retries: 0 });
        assert.unreachable();
      } catch (err) {
        assert.ok(isHeliosError(err));
        assert.is(err.code, 'E_VAULT_UNAVAILABLE');
        assert.match(err.message, /set caBundle to the CA that signed Vault's certificate/);
      }
    } finally {
      await v.stop();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test.run();
