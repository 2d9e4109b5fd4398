import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type Annotation } from '@helios-ci/sdk';
import { signBody, verifySignature } from '../src/signature.js';
import { ACTIONS, clampText, toGitHubAnnotation, batches, MAX_OUTPUT_CHARS } from '../src/checkOutput.js';
import { renderCheckName } from '../src/checkName.js';
import { deriveWebUrl } from '../src/config.js';
import { toPermission } from '../src/githubForge.js';
import { retryAfterMs, toForgeError } from '../src/errors.js';
import { createAppJwt, parsePrivateKey } from '../src/appJwt.js';
import { InstallationTokenCache } from '../src/tokenCache.js';
import { checkAppJwt } from './standIn/jwt.js';

test("GitHub's published signature test vector", () => {
  const header = signBody("It's a Secret to Everybody", Buffer.from('Hello, World!'));
  assert.is(header, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  verifySignature("It's a Secret to Everybody", Buffer.from('Hello, World!'), header, 'github');
});

test('a wrong, truncated, sha1 or missing signature is E_SIGNATURE_INVALID', () => {
  const body = Buffer.from('Hello, World!');
  const good = signBody("It's a Secret to Everybody", body);
  for (const header of [signBody('other secret', body), good.slice(0, -1), good.replace('sha256=', 'sha1='), 'sha256=' + 'z'.repeat(64), '', undefined]) {
    try {
      verifySignature("It's a Secret to Everybody", body, header, 'github');
      assert.unreachable(`accepted ${header}`);
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_SIGNATURE_INVALID');
      assert.not.match(err.message, /Secret to Everybody/, 'the secret never appears in errors');
    }
  }
  // One byte changed in the body
  try {
    verifySignature("It's a Secret to Everybody", Buffer.from('Hello, World?'), good, 'github');
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'E_SIGNATURE_INVALID');
  }
});

test('check name template: workflow and job (with matrix values); unknown placeholders stay visible', () => {
  assert.is(renderCheckName('{workflow} / {job}', { workflowName: 'CI', jobName: 'test (ubuntu, 20)' }), 'CI / test (ubuntu, 20)');
  assert.is(renderCheckName('{job}', { workflowName: 'CI', jobName: 'build' }), 'build');
  assert.is(renderCheckName('helios: {job} [{workflow}]', { workflowName: 'CI', jobName: 'lint' }), 'helios: lint [CI]');
  assert.is(renderCheckName('{workflow} / {jobb}', { workflowName: 'CI', jobName: 'lint' }), 'CI / {jobb}');
});

test('annotations: end_line defaults to start, columns only on one line, file-less ones go to the workflow file', () => {
  const a = (x: Partial<Annotation>): Annotation => ({ level: 'failure', message: 'boom', ...x });
  assert.equal(toGitHubAnnotation(a({ file: 'src/a.ts', line: 3 }), undefined), { path: 'src/a.ts', start_line: 3, end_line: 3, annotation_level: 'failure', message: 'boom' });
  assert.equal(toGitHubAnnotation(a({ file: './src/a.ts', line: 3, col: 5, endCol: 9, title: 'T' }), undefined), {
    path: 'src/a.ts', start_line: 3, end_line: 3, start_column: 5, end_column: 9, annotation_level: 'failure', message: 'boom', title: 'T',
  });
  assert.equal(toGitHubAnnotation(a({ file: 'src/a.ts', line: 3, endLine: 7, col: 5, endCol: 9, level: 'warning' }), undefined), {
    path: 'src/a.ts', start_line: 3, end_line: 7, annotation_level: 'warning', message: 'boom',
  });
  assert.equal(toGitHubAnnotation(a({ level: 'notice', line: 12, col: 2 }), '.github/workflows/ci.yml'), { path: '.github/workflows/ci.yml', start_line: 1, end_line: 1, annotation_level: 'notice', message: 'boom' });
  assert.is(toGitHubAnnotation(a({}), undefined).path, '.github/workflows');
  assert.equal(toGitHubAnnotation(a({ file: 'x', line: 5, endLine: 2 }), undefined).end_line, 5, 'end before start is lifted to start');
  assert.is(toGitHubAnnotation(a({ file: 'x', line: 0 }), undefined).start_line, 1);
  assert.is(toGitHubAnnotation(a({ file: 'x', title: 't'.repeat(300) }), undefined).title!.length, 255);
  assert.ok(Buffer.byteLength(toGitHubAnnotation(a({ file: 'x', message: 'é'.repeat(40_000) }), undefined).message) <= 64 * 1024);
  assert.equal(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.is(batches(Array.from({ length: 120 }, (_, i) => i)).length, 3);
});

test('actions fit GitHub limits (label ≤ 20, description ≤ 40, identifier ≤ 20)', () => {
  for (const a of Object.values(ACTIONS)) {
    assert.ok(a.label.length <= 20 && a.description.length <= 40 && a.identifier.length <= 20, JSON.stringify(a));
  }
  assert.equal(Object.values(ACTIONS).map((a) => a.identifier), ['cancel', 'rerun', 'approve']);
});

test('output text is kept within 65,535 characters, keeping the end', () => {
  const long = 'x'.repeat(70_000) + 'THE END';
  const cut = clampText(long);
  assert.is(cut.length, MAX_OUTPUT_CHARS);
  assert.ok(cut.endsWith('THE END'));
  assert.ok(cut.startsWith('… (truncated)'));
  assert.is(clampText('short'), 'short');
});

test('permission mapping: admin/maintain → admin, write → write, triage/read → read, else none', () => {
  assert.is(toPermission('admin', 'admin'), 'admin');
  assert.is(toPermission('maintain', 'write'), 'admin');
  assert.is(toPermission('write', 'write'), 'write');
  assert.is(toPermission('triage', 'read'), 'read');
  assert.is(toPermission('read', 'read'), 'read');
  assert.is(toPermission(undefined, 'none'), 'none');
  assert.is(toPermission(undefined, 'write'), 'write');
});

test('clone host derivation: github.com, GHES, others', () => {
  assert.is(deriveWebUrl('https://api.github.com'), 'https://github.com');
  assert.is(deriveWebUrl('https://ghe.example.org/api/v3/'), 'https://ghe.example.org');
  assert.is(deriveWebUrl('http://127.0.0.1:9/api/v3'), 'http://127.0.0.1:9');
});

test('errors: rate limits carry retryAfterMs, 4xx are permanent, 5xx retryable, no secrets', () => {
  const now = Date.now();
  assert.is(retryAfterMs({ 'retry-after': '30' }), 30_000);
  assert.ok(Math.abs(retryAfterMs({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(now / 1000) + 100) }, now) - 100_000) <= 2000);
  assert.is(retryAfterMs({}), 60_000);
  const limited = toForgeError({ status: 403, response: { headers: { 'retry-after': '7' }, data: { message: 'You have exceeded a secondary rate limit.' } } }, 'github', 'x');
  assert.is(limited.code, 'E_FORGE_RATE_LIMITED');
  assert.is(limited.retryAfterMs, 7000);
  const refused = toForgeError({ status: 422, response: { headers: {}, data: { message: 'Invalid request.', errors: ['x'] } } }, 'github', 'x');
  assert.is(refused.code, 'E_FORGE_REJECTED');
  assert.is(refused.retryable, false);
  const down = toForgeError({ status: 502, response: { headers: {} } }, 'github', 'x');
  assert.is(down.code, 'E_FORGE_UNAVAILABLE');
  assert.is(down.retryable, true);
  assert.is(toForgeError(new Error('socket hang up'), 'github', 'x').code, 'E_FORGE_UNAVAILABLE');
  assert.is(down.cause, undefined, 'the octokit error (which holds the request) is not attached');
});

test('App JWT: RS256, iss = app id, iat 60 s in the past, exp 9 min ahead; the stand-in accepts it and refuses bad ones', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = parsePrivateKey(pem, 'github');
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const { jwt, expiresAt } = createAppJwt(123, key, now);
  const [h, p] = jwt.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>);
  assert.equal(h, { alg: 'RS256', typ: 'JWT' });
  assert.equal(p, { iat: now / 1000 - 60, exp: now / 1000 + 540, iss: '123' });
  assert.is(expiresAt, new Date(now + 540_000).toISOString());
  assert.is(checkAppJwt(jwt, publicKey, 123, now), null);
  assert.match(checkAppJwt(jwt, publicKey, 124, now)!, /iss/);
  assert.match(checkAppJwt(jwt, publicKey, 123, now + 600_000)!, /exp/);
  const handMade = (claims: Record<string, unknown>) => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
    return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), key).toString('base64url')}`;
  };
  assert.match(checkAppJwt(handMade({ iat: now / 1000 + 30, exp: now / 1000 + 300, iss: '123' }), publicKey, 123, now)!, /iat/);
  assert.is(checkAppJwt(handMade({ iat: now / 1000 - 60, exp: now / 1000 + 600, iss: 123 }), publicKey, 123, now), null, 'exactly 10 minutes is allowed');
  assert.match(checkAppJwt(createAppJwt(123, key, now, 100).jwt, publicKey, 123, now)!, /too far in the future/);
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  assert.ok(checkAppJwt(jwt, other, 123, now), 'a JWT signed by another key is refused');
  // A key pasted with literal \n sequences still parses; garbage is a config error without the key.
  parsePrivateKey(pem.replace(/\n/g, '\\n'), 'github');
  try {
    parsePrivateKey('not a key but a secret', 'github');
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'E_CONFIG_INVALID');
    assert.not.match((err as Error).message, /not a key but a secret/);
  }
});

test('token cache: forgets a token before it expires, and per installation on demand', () => {
  let now = 0;
  const cache = new InstallationTokenCache(600_000, () => now);
  const value = (expiresAt: number) => `tok|${new Date(0).toISOString()}|${new Date(expiresAt).toISOString()}|all|checks!`;
  cache.set('7', value(3_600_000));
  cache.set('7|widget|contents', value(3_600_000));
  cache.set('8', value(3_600_000));
  assert.ok(cache.get('7'));
  now = 3_000_001; // 10 minutes before expiry
  assert.is(cache.get('7'), undefined);
  now = 0;
  cache.invalidate('7');
  assert.is(cache.get('7|widget|contents'), undefined);
  assert.ok(cache.get('8'));
});

test.run();
