import { createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type ForgeEvent } from '@helios-ci/sdk';
import { verifySignature } from '../src/signature.js';
import { commentPayload, deliveriesFile, fixtureDelivery, fixturePayload, FIXTURE_SECRET, signedDelivery, type FixtureName } from './helpers/fixtures.js';
import { forgeFor, memoryLogger } from './helpers/forge.js';

const forge = (o: Parameters<typeof forgeFor>[1] = {}, logger = memoryLogger()) => forgeFor('http://127.0.0.1:9', o, logger);

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
    assert.is(err.code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('every fixture delivery verifies unchanged: bytes and signatures as recorded', () => {
  const file = deliveriesFile();
  assert.is(file.secret, FIXTURE_SECRET);
  for (const name of Object.keys(file.deliveries) as FixtureName[]) {
    const d = fixtureDelivery(name);
    assert.is(d.rawBody.length, file.deliveries[name].body_bytes, `${name} was re-formatted`);
    // Our own check against the recorded header, and the recorded SHA-1 variant as an independent witness.
    verifySignature(d.headers, d.rawBody, FIXTURE_SECRET, 'test');
    assert.is(d.headers['x-hub-signature'], 'sha1=' + createHmac('sha1', FIXTURE_SECRET).update(d.rawBody).digest('hex'));
  }
});

test('push fixture → push event with ref, before, after, changed files, sender, RepoRef', async () => {
  const event = await forge().verifyAndParse(fixtureDelivery('push.json'));
  assert.equal(event, {
    deliveryId: '5b6f2a1e-0c3d-4e8f-9a7b-1c2d3e4f5a6b',
    forge: 'codeberg',
    kind: 'push',
    repo: { owner: 'acme', name: 'widget', id: '42' },
    ref: 'refs/heads/main',
    before: '9c0a3f5e1b7d24c86e0f1a2b3c4d5e6f70819203',
    after: '3f8a2c71d9e04b5a6c7d8e9f0a1b2c3d4e5f6a7b',
    changedFiles: ['.ci/pipeline.yml', 'src/parser.ts', 'test/parser.test.ts'],
    sender: 'alice',
    defaultBranch: 'main',
  } satisfies ForgeEvent);
});

test('pull_request fixture (opened, same repository) → pullRequest, not from a fork', async () => {
  const event = await forge().verifyAndParse(fixtureDelivery('pull_request.json'));
  const pr = fixturePayload('pull_request.json');
  assert.ok(event && event.kind === 'pullRequest');
  assert.is(event.deliveryId, 'a1e4c7d0-3b6e-4f92-8c5a-7d0e3f6a9b2c');
  assert.is(event.number, 7);
  assert.is(event.action, 'opened');
  assert.is(event.fromFork, false);
  assert.equal(event.repo, { owner: 'acme', name: 'widget', id: '42' });
  assert.equal(event.head, { sha: pr.pull_request.head.sha, ref: pr.pull_request.head.ref, repo: { owner: 'acme', name: 'widget', id: '42' } });
  assert.equal(event.base, { ref: 'main' });
  assert.is(event.author, pr.pull_request.user.login);
  assert.is(event.defaultBranch, pr.repository.default_branch);
});

test('pull_request_synchronized fixture (fork, X-Forgejo-Event-Type pull_request_sync) → pullRequest synchronize from the fork', async () => {
  const d = fixtureDelivery('pull_request_synchronized.json');
  assert.is(d.headers['x-forgejo-event-type'], 'pull_request_sync');
  const event = await forge().verifyAndParse(d);
  assert.ok(event && event.kind === 'pullRequest');
  assert.is(event.deliveryId, 'f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f');
  // GitHub's activity type name, so `on: pull_request: types: [synchronize]` matches.
  assert.is(event.action, 'synchronize');
  assert.is(event.fromFork, true);
  assert.is(event.number, 8);
  assert.equal(event.repo, { owner: 'acme', name: 'widget', id: '42' });
  assert.equal(event.head, { sha: '0a1b2c3d4e5f60718293a4b5c6d7e8f901234567', ref: 'fix-typo', repo: { owner: 'bob', name: 'widget', id: '57' } });
  assert.is(event.author, 'bob');
});

test('a changed byte, a wrong secret, a missing or malformed signature: E_SIGNATURE_INVALID', async () => {
  const d = fixtureDelivery('push.json');
  const tampered = Buffer.from(d.rawBody);
  tampered[tampered.indexOf('main')] = 'M'.charCodeAt(0);
  await rejects(forge().verifyAndParse({ headers: d.headers, rawBody: tampered }), 'E_SIGNATURE_INVALID');
  await rejects(forge({ webhookSecret: 'another-secret' }).verifyAndParse(d), 'E_SIGNATURE_INVALID');
  const without = Object.fromEntries(Object.entries(d.headers).filter(([k]) => !/signature/.test(k)));
  await rejects(forge().verifyAndParse({ headers: without, rawBody: d.rawBody }), 'E_SIGNATURE_INVALID');
  for (const bad of ['', 'sha256=' + d.headers['x-forgejo-signature'], d.headers['x-forgejo-signature']!.slice(0, 63), 'zz'.repeat(32)]) {
    await rejects(forge().verifyAndParse({ headers: { ...without, 'x-forgejo-signature': bad }, rawBody: d.rawBody }), 'E_SIGNATURE_INVALID');
  }
  // The GitHub-compatible header alone is not what Forgejo/Gitea hooks are checked by.
  await rejects(forge().verifyAndParse({ headers: { ...without, 'x-hub-signature-256': d.headers['x-hub-signature-256']! }, rawBody: d.rawBody }), 'E_SIGNATURE_INVALID');
});

test('Gitea deliveries (X-Gitea-* headers only) are accepted; header names in any case', async () => {
  const payload = fixturePayload('push.json');
  const gitea = signedDelivery('push', payload, { families: ['Gitea'], deliveryId: 'gitea-1' });
  const event = await forge().verifyAndParse(gitea);
  assert.ok(event && event.kind === 'push' && event.deliveryId === 'gitea-1');
  const shouting = Object.fromEntries(Object.entries(gitea.headers).map(([k, v]) => [k.replace(/(^|-)(\w)/g, (m) => m.toUpperCase()), v]));
  assert.ok(await forge().verifyAndParse({ headers: shouting, rawBody: gitea.rawBody }));
});

test('push: branch deletion is null; more commits than listed → changedFiles unknown', async () => {
  const payload = fixturePayload('push.json');
  assert.is(await forge().verifyAndParse(signedDelivery('push', { ...payload, after: '0'.repeat(40) })), null);
  const many = await forge().verifyAndParse(signedDelivery('push', { ...payload, total_commits: 20 }));
  assert.ok(many && many.kind === 'push');
  assert.is(many.changedFiles, undefined, 'a partial file list must not be presented as complete');
  const newBranch = await forge().verifyAndParse(signedDelivery('push', { ...payload, before: '0'.repeat(40) }));
  assert.ok(newBranch && newBranch.kind === 'push' && newBranch.before === '0'.repeat(40));
});

test('pull_request: reopened is kept; closed, edited, label and review actions are null', async () => {
  const payload = fixturePayload('pull_request.json');
  const reopened = await forge().verifyAndParse(signedDelivery('pull_request', { ...payload, action: 'reopened' }));
  assert.ok(reopened && reopened.kind === 'pullRequest' && reopened.action === 'reopened');
  for (const action of ['closed', 'edited', 'label_updated', 'assigned', 'reviewed']) {
    assert.is(await forge().verifyAndParse(signedDelivery('pull_request', { ...payload, action }, { eventType: action === 'label_updated' ? 'pull_request_label' : 'pull_request' })), null, action);
  }
});

test('issue_comment "/helios approve" on a pull request → approve pr:<number> by the commenter', async () => {
  const repository = fixturePayload('pull_request.json').repository;
  const event = await forge().verifyAndParse(signedDelivery('issue_comment', commentPayload(8, '  /helios approve\n', 'alice', repository), { eventType: 'pull_request_comment', deliveryId: 'c-1' }));
  assert.equal(event, { deliveryId: 'c-1', forge: 'codeberg', kind: 'approve', repo: { owner: 'acme', name: 'widget', id: '42' }, target: 'pr:8', sender: 'alice', at: '2025-06-11T12:00:00Z' });
  // Anything else is ignored: other text, an edit, a plain issue.
  for (const [body, action, isPull] of [
    ['/helios approve please', 'created', true],
    ['LGTM', 'created', true],
    ['/helios approve', 'edited', true],
    ['/helios approve', 'created', false],
  ] as const) {
    assert.is(await forge().verifyAndParse(signedDelivery('issue_comment', commentPayload(8, body, 'alice', repository, action, isPull))), null, `${body} ${action} ${isPull}`);
  }
});

test('other events are null; the delivery id is required; allowedOwners filters and logs', async () => {
  const payload = fixturePayload('push.json');
  for (const event of ['create', 'delete', 'fork', 'release', 'issues', 'repository', 'wiki', 'pull_request_approved']) {
    assert.is(await forge().verifyAndParse(signedDelivery(event, payload)), null, event);
  }
  const d = signedDelivery('push', payload);
  const noDelivery = Object.fromEntries(Object.entries(d.headers).filter(([k]) => !/delivery/.test(k)));
  await rejects(forge().verifyAndParse({ headers: noDelivery, rawBody: d.rawBody }), 'E_WEBHOOK_INVALID');
  const notJson = Buffer.from('not json');
  const sig = createHmac('sha256', FIXTURE_SECRET).update(notJson).digest('hex');
  await rejects(forge().verifyAndParse({ headers: { ...d.headers, 'x-forgejo-signature': sig }, rawBody: notJson }), 'E_WEBHOOK_INVALID');

  const logger = memoryLogger();
  const only = forge({ allowedOwners: ['Someone-Else'] }, logger);
  assert.is(await only.verifyAndParse(fixtureDelivery('push.json')), null);
  const warned = logger.entries.find((e) => e.level === 'warn');
  assert.ok(warned && warned.fields?.owner === 'acme', 'the refusal is logged with the owner');
  assert.ok(await forge({ allowedOwners: ['ACME'] }).verifyAndParse(fixtureDelivery('push.json')), 'owners compare case-insensitively');
  // Nothing secret in what was logged.
  assert.not.match(JSON.stringify(logger.entries), FIXTURE_SECRET);
});

test.run();
