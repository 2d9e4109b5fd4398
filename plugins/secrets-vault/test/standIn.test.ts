import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CI_PATHS, ROLE_ID, SECRET_ID, standIn } from './helpers.js';
import { vaultFixture } from './standIn/vaultSpec.js';

// The stand-in must reject what Vault rejects, or the plugin's tests prove nothing.

async function call(url: string, method: string, path: string, o: { token?: string; body?: string; namespace?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.token) headers['x-vault-token'] = o.token;
  if (o.namespace) headers['x-vault-namespace'] = o.namespace;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body: o.body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('AppRole login: right credentials give a token with the recorded envelope; wrong ones 400 as Vault words it', async () => {
  const v = await standIn();
  try {
    const ok = await call(v.url, 'POST', '/v1/auth/approle/login', { body: JSON.stringify({ role_id: ROLE_ID, secret_id: SECRET_ID }) });
    assert.is(ok.status, 200);
    const expected = vaultFixture('approle-login.200.json');
    assert.equal(Object.keys(ok.body).sort(), Object.keys(expected).sort());
    assert.equal(Object.keys(ok.body.auth as object).sort(), Object.keys(expected.auth as object).sort());
    const bad = await call(v.url, 'POST', '/v1/auth/approle/login', { body: JSON.stringify({ role_id: ROLE_ID, secret_id: 'nope' }) });
    assert.equal(bad, { status: 400, body: vaultFixture('approle-login-bad-credentials.400.json') });
    const unknownField = await call(v.url, 'POST', '/v1/auth/approle/login', { body: JSON.stringify({ role: ROLE_ID, secret_id: SECRET_ID }) });
    assert.is(unknownField.status, 400);
    assert.match(String((unknownField.body.errors as string[])[0]), /unknown field "role"/);
    const wrongType = await call(v.url, 'POST', '/v1/auth/approle/login', { body: JSON.stringify({ role_id: 7, secret_id: SECRET_ID }) });
    assert.is(wrongType.status, 400);
    const notJson = await call(v.url, 'POST', '/v1/auth/approle/login', { body: '{role_id' });
    assert.is(notJson.status, 400);
    assert.is((await call(v.url, 'GET', '/v1/auth/approle/login')).status, 405, 'login is POST only');
    assert.is((await call(v.url, 'POST', '/v1/auth/other/login', { body: '{}' })).status, 404, 'unknown mount');
  } finally {
    await v.stop();
  }
});

test('KV v2 read: no token or a bad one 403, outside the policy 403, missing 404 {errors: []}, deleted version 404 with metadata', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/A', { value: 'a' });
    v.put('ci/_global/A', { value: 'a2' });
    v.deleteVersion('ci/_global/A', 1);
    v.put('other/X', { value: 'x' });
    const token = v.issueToken({ ttlSeconds: 60, paths: CI_PATHS });
    const denied = vaultFixture('permission-denied.403.json');
    assert.equal(await call(v.url, 'GET', '/v1/secret/data/ci/_global/A'), { status: 403, body: denied });
    assert.equal(await call(v.url, 'GET', '/v1/secret/data/ci/_global/A', { token: 'hvs.bogus' }), { status: 403, body: denied });
    assert.equal(await call(v.url, 'GET', '/v1/secret/data/other/X', { token }), { status: 403, body: denied });
    assert.equal(await call(v.url, 'GET', '/v1/secret/data/ci/_global/NOPE', { token }), { status: 404, body: vaultFixture('not-found.404.json') });
    const ok = await call(v.url, 'GET', '/v1/secret/data/ci/_global/A', { token });
    assert.is(ok.status, 200);
    assert.equal((ok.body.data as { data: unknown }).data, { value: 'a2' });
    const deleted = await call(v.url, 'GET', '/v1/secret/data/ci/_global/A?version=1', { token });
    assert.is(deleted.status, 404);
    assert.is((deleted.body.data as { data: unknown }).data, null);
    assert.is((await call(v.url, 'GET', '/v1/secret/data/ci/_global/A?version=x', { token })).status, 400, 'version must be an integer');
    assert.is((await call(v.url, 'GET', '/v1/secret/data/ci/_global/A?versoin=1', { token })).status, 400, 'unknown query parameter');
    assert.is((await call(v.url, 'PUT', '/v1/secret/data/ci/_global/A', { token, body: '{}' })).status, 405);
    assert.is((await call(v.url, 'GET', '/v1/kv/data/ci/_global/A', { token })).status, 404, 'not a mount');
  } finally {
    await v.stop();
  }
});

test('tokens: renew-self extends up to the max TTL, refuses non-renewable ones, and an expired token is refused and flagged', async () => {
  const v = await standIn();
  try {
    const token = v.issueToken({ ttlSeconds: 1, maxTtlSeconds: 2, paths: CI_PATHS });
    const renewed = await call(v.url, 'POST', '/v1/auth/token/renew-self', { token, body: JSON.stringify({ increment: '10s' }) });
    assert.is(renewed.status, 200);
    assert.ok((renewed.body.auth as { lease_duration: number }).lease_duration <= 2, 'capped by the max TTL');
    assert.is((await call(v.url, 'POST', '/v1/auth/token/renew-self', { token, body: JSON.stringify({ increment: 'ten seconds' }) })).status, 400, 'increment is a duration');
    const fixed = v.issueToken({ ttlSeconds: 60, renewable: false, paths: CI_PATHS });
    assert.equal(await call(v.url, 'POST', '/v1/auth/token/renew-self', { token: fixed, body: '{}' }), { status: 400, body: { errors: ['lease is not renewable'] } });
    const look = await call(v.url, 'GET', '/v1/auth/token/lookup-self', { token: fixed });
    assert.is(look.status, 200);
    assert.equal(Object.keys(look.body.data as object).sort(), Object.keys(vaultFixture('token-lookup-self.200.json').data as object).sort());
    const short = v.issueToken({ ttlSeconds: 1, paths: CI_PATHS });
    await new Promise((r) => setTimeout(r, 1100));
    assert.is((await call(v.url, 'GET', '/v1/auth/token/lookup-self', { token: short })).status, 403);
    assert.ok(v.requests.at(-1)!.expiredToken);
  } finally {
    await v.stop();
  }
});

test('sealed 503, standby 429, a namespace it does not have 403, and hanging on request', async () => {
  const v = await standIn();
  try {
    const token = v.issueToken({ ttlSeconds: 60, paths: CI_PATHS });
    v.sealed = true;
    assert.equal(await call(v.url, 'GET', '/v1/auth/token/lookup-self', { token }), { status: 503, body: { errors: ['Vault is sealed'] } });
    v.sealed = false;
    v.standby = true;
    assert.is((await call(v.url, 'GET', '/v1/auth/token/lookup-self', { token })).status, 429);
    v.standby = false;
    assert.is((await call(v.url, 'GET', '/v1/auth/token/lookup-self', { token, namespace: 'elsewhere/' })).status, 403);
    v.hang = true;
    const hung = await fetch(v.url + '/v1/auth/token/lookup-self', { headers: { 'x-vault-token': token }, signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    assert.is(hung, 'TimeoutError');
  } finally {
    await v.stop();
  }
});

test.run();
