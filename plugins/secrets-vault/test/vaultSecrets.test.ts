import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError } from '@helios-ci/sdk';
import { CI_PATHS, makeSecrets, standIn } from './helpers.js';
import { DEFAULT_ENVIRONMENT_PATHS } from '../src/index.js';

const scope = (names: string[], repo = 'acme/widget') => ({ repo, event: 'push', names });

async function rejects(p: Promise<unknown>, code: string, message: RegExp): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
    assert.is(err.code, code, err.message);
    assert.match(err.message, message);
    return err;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

test('job secrets: most specific template first, a name can come from any level, only referenced names are read', async () => {
  const v = await standIn();
  try {
    v.put('ci/acme/widget/DEPLOY_KEY', { value: 'repo-deploy' });
    v.put('ci/acme/_org/DEPLOY_KEY', { value: 'org-deploy' });
    v.put('ci/acme/_org/NPM_TOKEN', { value: 'org-npm' });
    v.put('ci/_global/NPM_TOKEN', { value: 'global-npm' });
    v.put('ci/_global/UNUSED', { value: 'never-read' });
    const { secrets, session } = await makeSecrets(v);
    assert.equal(await secrets.resolve(scope(['DEPLOY_KEY', 'NPM_TOKEN'])), { DEPLOY_KEY: 'repo-deploy', NPM_TOKEN: 'org-npm' });
    assert.equal(await secrets.resolve(scope(['NPM_TOKEN'], 'other/thing')), { NPM_TOKEN: 'global-npm' });
    assert.not.ok(v.requests.some((r) => r.path.includes('UNUSED')), 'a name the job does not reference was read');
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a job with an environment: environmentPaths first (environment lower-cased), then jobPaths; without one they are never read', async () => {
  const v = await standIn();
  try {
    v.put('ci/acme/widget/_env/production/DEPLOY_KEY', { value: 'prod-widget' });
    v.put('ci/_env/production/NPM_TOKEN', { value: 'prod-npm' });
    v.put('ci/acme/widget/DEPLOY_KEY', { value: 'repo-deploy' });
    v.put('ci/acme/widget/NPM_TOKEN', { value: 'repo-npm' });
    v.put('ci/_global/OTHER', { value: 'global-other' });
    const { secrets, session } = await makeSecrets(v, { secrets: { environmentPaths: DEFAULT_ENVIRONMENT_PATHS } });
    const names = ['DEPLOY_KEY', 'NPM_TOKEN', 'OTHER'];
    assert.equal(await secrets.resolve({ ...scope(names), environment: 'Production' }), { DEPLOY_KEY: 'prod-widget', NPM_TOKEN: 'prod-npm', OTHER: 'global-other' });
    const before = v.requests.length;
    assert.equal(await secrets.resolve(scope(['NPM_TOKEN'])), { NPM_TOKEN: 'repo-npm' });
    assert.not.ok(v.requests.slice(before).some((r) => r.path.includes('/_env/')), 'a job without an environment read environment paths');
    await rejects(secrets.resolve({ ...scope(['X']), environment: 'prod/../../x' }), 'E_SECRET_NAME_INVALID', /cannot be used as a Vault path segment \(environment\)/);
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a template may select a key of a shared map (#{name}); a config ref selects one with #key', async () => {
  const v = await standIn();
  try {
    v.put('ci/acme/widget', { DEPLOY_TOKEN: 'test-deploy-token', NPM_TOKEN: 'test-npm-token' });
    v.put('helios/config/github/app', { private_key: '-----BEGIN KEY-----\nabc\n-----END KEY-----', app_id: '42' });
    v.put('helios/config/forgejo/token', { value: 'fj-token' });
    const { secrets, session } = await makeSecrets(v, { secrets: { jobPaths: ['ci/{owner}/{repo}#{name}', 'ci/_global/{name}'] } });
    assert.equal(await secrets.resolve(scope(['DEPLOY_TOKEN', 'NPM_TOKEN'])), { DEPLOY_TOKEN: 'test-deploy-token', NPM_TOKEN: 'test-npm-token' });
    // One read of the shared map serves both names (cached).
    assert.is(v.requests.filter((r) => r.path === '/v1/secret/data/ci/acme/widget').length, 1);
    assert.is(await secrets.read('github/app#private_key'), '-----BEGIN KEY-----\nabc\n-----END KEY-----');
    assert.is(await secrets.read('forgejo/token'), 'fj-token');
    assert.is(await secrets.read('github/app'), undefined, 'no "value" key at github/app');
    assert.is(await secrets.read('github/app#nope'), undefined);
    await rejects(secrets.read('../ci/_global/NPM_TOKEN'), 'E_CONFIG_INVALID', /is not a Vault path/);
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a job secret not found anywhere fails with every place it was looked for; no value in the message', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/NPM_TOKEN', { value: 'global-npm' });
    const { secrets, session } = await makeSecrets(v);
    const err = await rejects(secrets.resolve(scope(['NPM_TOKEN', 'MISSING'])), 'E_SECRET_NOT_FOUND', /^secret MISSING not found at any of: secret\/data\/ci\/acme\/widget\/MISSING#value, secret\/data\/ci\/acme\/_org\/MISSING#value, secret\/data\/ci\/_global\/MISSING#value$/);
    assert.not.ok(err.message.includes('global-npm'));
    session.stop();
  } finally {
    await v.stop();
  }
});

test('pinned versions are read as pinned; a deleted version is not found', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/TOKEN', { value: 'v1' });
    v.put('ci/_global/TOKEN', { value: 'v2' });
    v.put('ci/_global/TOKEN', { value: 'v3' });
    v.deleteVersion('ci/_global/TOKEN', 2);
    const pinned = await makeSecrets(v, { secrets: { versions: { 'ci/_global/TOKEN': 1 } } });
    assert.equal(await pinned.secrets.resolve(scope(['TOKEN'])), { TOKEN: 'v1' });
    assert.ok(v.requests.some((r) => r.path === '/v1/secret/data/ci/_global/TOKEN' && r.status === 200), 'read with ?version');
    const latest = await makeSecrets(v);
    assert.equal(await latest.secrets.resolve(scope(['TOKEN'])), { TOKEN: 'v3' });
    const deleted = await makeSecrets(v, { secrets: { versions: { 'ci/_global/TOKEN': 2 } } });
    await rejects(deleted.secrets.resolve(scope(['TOKEN'])), 'E_SECRET_NOT_FOUND', /secret TOKEN not found at any of: .*ci\/_global\/TOKEN#value \(version 2\)/);
    for (const m of [pinned, latest, deleted]) m.session.stop();
  } finally {
    await v.stop();
  }
});

test('job reads are cached for the TTL; a 403 empties the cache and names the path with a policy hint', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/A', { value: 'a1' });
    let now = 1_000_000;
    const { secrets, session } = await makeSecrets(v, { secrets: { cacheTtlMs: 60_000, now: () => now } });
    const reads = () => v.requests.filter((r) => r.path === '/v1/secret/data/ci/_global/A').length;
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'a1' });
    const first = reads();
    v.put('ci/_global/A', { value: 'a2' });
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'a1' }, 'served from the cache');
    assert.is(reads(), first);
    now += 60_001;
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'a2' }, 'the TTL passed');
    // Take the read right away: the next read is denied, and the cache is emptied.
    v.put('ci/_global/B', { value: 'b' });
    for (const t of v.tokens.values()) t.paths = ['secret/data/helios/config/*'];
    const err = await rejects(secrets.resolve(scope(['B'])), 'E_VAULT_DENIED', /Vault denied reading secret\/data\/ci\/acme\/widget\/B \(403: permission denied\); the token's policy needs: path "secret\/data\/ci\/acme\/widget\/\*" \{ capabilities = \["read"\] \}/);
    assert.ok(err);
    await rejects(secrets.resolve(scope(['A'])), 'E_VAULT_DENIED', /403/);
    for (const t of v.tokens.values()) t.paths = CI_PATHS;
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a sealed Vault (503) and a standby (429) are retried with backoff, then fail with the reason', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session } = await makeSecrets(v, { retries: 2 });
    v.sealed = true;
    const before = v.requests.length;
    await rejects(secrets.resolve(scope(['A'])), 'E_VAULT_UNAVAILABLE', /Vault answered HTTP 503 \(sealed or unavailable: Vault is sealed\); gave up after 3 attempts/);
    assert.is(v.requests.length - before, 3);
    v.sealed = false;
    v.standby = true;
    await rejects(secrets.resolve(scope(['A'])), 'E_VAULT_UNAVAILABLE', /HTTP 429 \(standby or rate limited/);
    v.standby = false;
    // Unsealed again: it works without a restart.
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'a' });
    // Sealed for one attempt only: the retry succeeds.
    v.sealed = true;
    setTimeout(() => (v.sealed = false), 5);
    assert.equal(await secrets.read('missing/ref'), undefined);
    session.stop();
  } finally {
    await v.stop();
  }
});

test('a Vault that accepts and never answers fails the call after the timeout and retries, never hangs', async () => {
  const v = await standIn();
  try {
    v.put('ci/_global/A', { value: 'a' });
    const { secrets, session } = await makeSecrets(v, { timeoutMs: 200, retries: 1 });
    v.hang = true;
    await rejects(secrets.resolve(scope(['A'])), 'E_VAULT_TIMEOUT', /Vault did not answer GET \/v1\/secret\/data\/ci\/acme\/widget\/A within 200 ms; gave up after 2 attempts/);
    v.hang = false;
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'a' });
    session.stop();
  } finally {
    await v.stop();
  }
});

test('an unreachable Vault is E_VAULT_UNAVAILABLE after retries', async () => {
  const v = await standIn();
  const { secrets, session } = await makeSecrets(v, { retries: 1 });
  await v.stop();
  await rejects(secrets.resolve(scope(['A'])), 'E_VAULT_UNAVAILABLE', /cannot be reached for GET .*\(ECONNREFUSED\); gave up after 2 attempts/);
  session.stop();
});

test('namespaces: X-Vault-Namespace goes with every request, login included', async () => {
  const v = await standIn({ namespace: 'team-a/ci' });
  try {
    v.put('ci/_global/A', { value: 'in-namespace' });
    const { secrets, session } = await makeSecrets(v, { namespace: 'team-a/ci/' });
    assert.equal(await secrets.resolve(scope(['A'])), { A: 'in-namespace' });
    assert.ok(v.requests.length >= 2 && v.requests.every((r) => r.namespace === 'team-a/ci'), JSON.stringify(v.requests.map((r) => r.namespace)));
    session.stop();
    // Without the namespace the same Vault refuses.
    try {
      await makeSecrets(v);
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_VAULT_AUTH_FAILED');
    }
  } finally {
    await v.stop();
  }
});

test.run();
