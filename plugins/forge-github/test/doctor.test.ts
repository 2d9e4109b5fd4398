// helios doctor for a GitHub App, through the real CLI against the GitHub stand-in: the App JWT
// accepted and the installations listed; a wrong private key refused with the exact verdict.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deploymentConfig, runHeliosDoctor } from '@helios-ci/sdk/testkit';
import { GitHubStandIn } from './standIn/server.js';

async function withDeployment(fn: (dir: string, standIn: GitHubStandIn) => Promise<void>, key?: string, secret = 'a-webhook-secret-of-32-characters!'): Promise<void> {
  const standIn = new GitHubStandIn();
  await standIn.start();
  const dir = mkdtempSync(join(tmpdir(), 'helios-gh-doctor-'));
  try {
    standIn.addRepo({ owner: 'acme', name: 'widget', installationId: 77, dir });
    writeFileSync(join(dir, 'app-key.pem'), key ?? standIn.privateKeyPem, { mode: 0o600 });
    writeFileSync(
      join(dir, 'helios.yaml'),
      deploymentConfig(
        `  github:
    use: "@helios-ci/forge-github"
    config:
      appId: ${standIn.appId}
      privateKey: { file: ./app-key.pem }
      webhookSecret: ${JSON.stringify(secret)}
      baseUrl: ${standIn.apiUrl}
`,
        {},
      ),
    );
    await fn(dir, standIn);
  } finally {
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a working App: JWT accepted, installations listed, webhook secret set; exit 0', () =>
  withDeployment(async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.verdict('github', 'webhook secret'), { source: 'github', name: 'webhook secret', status: 'ok', message: 'set' });
    assert.is(r.verdict('github', 'private key')?.status, 'ok');
    const jwt = r.verdict('github', 'app JWT accepted')!;
    assert.is(jwt.status, 'ok');
    assert.match(jwt.message, /^GitHub accepts the JWT of App 4242 \(helios-stand-in\) at http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    assert.equal(r.verdict('github', 'installations'), { source: 'github', name: 'installations', status: 'ok', message: '1 installation: acme' });
  }));

test('a private key that is not the App\'s: the JWT is refused, exit 1, and the fix names appId and the key', async () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  await withDeployment(async (dir, standIn) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const jwt = r.verdict('github', 'app JWT accepted')!;
    assert.is(jwt.status, 'error');
    assert.match(jwt.message, /^GitHub refused the App JWT: E_FORGE_UNAUTHORIZED|^GitHub refused the App JWT: GitHub forge github: reading the App \(GET \/app\) was refused as unauthenticated \(A JSON web token could not be decoded\)/);
    assert.match(jwt.fix!, /appId must be the App's id and privateKey a current key/);
    assert.is(r.verdict('github', 'installations'), undefined, 'no listing without an accepted JWT');
    assert.ok(standIn.requests.some((q) => q.path === '/api/v3/app' && q.status === 401));
    assert.is(r.report!.errors, 1);
  }, other);
});

test('a short webhook secret is a warning, not an error', () =>
  withDeployment(async (dir) => {
    const r = await runHeliosDoctor(dir);
    assert.is(r.code, 0, r.stdout + r.stderr);
    const v = r.verdict('github', 'webhook secret')!;
    assert.is(v.status, 'warning');
    assert.is(v.message, 'set, but only 5 characters');
    assert.match(v.fix!, /openssl rand -hex 32/);
  }, undefined, 'short'));

test.run();
