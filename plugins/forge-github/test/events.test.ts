import { generateKeyPairSync } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isHeliosError, type ForgeEvent } from '@helios-ci/sdk';
import { GitHubForge } from '../src/githubForge.js';
import { eventOf, fixtureNames, loadFixture, signedDelivery, TEST_WEBHOOK_SECRET, type Payload } from './helpers/fixtures.js';
import { silentLogger } from './helpers/world.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR } from './helpers/fixtures.js';

const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const forge = (appId: number, allowedOwners?: string[]) =>
  new GitHubForge({ id: 'gh', appId, key, webhookSecret: TEST_WEBHOOK_SECRET, baseUrl: 'https://api.github.com', checkName: '{workflow} / {job}', logger: silentLogger, ...(allowedOwners ? { allowedOwners } : {}) });

/** The App id a fixture's check suite / run belongs to (the fixtures come from different Apps). */
const appOf = (p: Payload): number => p.check_suite?.app?.id ?? p.check_run?.app?.id ?? 1;

/** The real file bytes, re-signed with the test secret (GitHub signs exactly what it sends). */
const deliveryOf = (name: string, payload?: Payload, extra: { deliveryId?: string } = {}) =>
  signedDelivery(eventOf(name), payload ?? readFileSync(join(FIXTURES_DIR, name)), { deliveryId: extra.deliveryId ?? `d-${name}` });

const EXPECTED: Record<string, ForgeEvent | null> = {
  'check_run.created.json': null,
  'check_run.requested_action.json': null, // identifier "lgtm|26764" is not one of Helios's buttons
  'check_run.rerequested.json': null, // external_id "" is not a run Helios created
  'check_suite.requested.json': {
    deliveryId: 'd-check_suite.requested.json', forge: 'gh', kind: 'push',
    repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '957387' },
    ref: 'refs/heads/master', before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', after: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e', sender: 'Codertocat',
    defaultBranch: 'master',
  },
  'check_suite.rerequested.json': {
    deliveryId: 'd-check_suite.rerequested.json', forge: 'gh', kind: 'rerun',
    repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '957387' },
    suiteId: '118578147', sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', scope: 'all', sender: 'octocoders-linter[bot]',
  },
  'installation.created.json': {
    deliveryId: 'd-installation.created.json', forge: 'gh', kind: 'installation', action: 'created', installationId: '957387',
    repos: [{ owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '957387' }],
  },
  'pull_request.opened.json': {
    deliveryId: 'd-pull_request.opened.json', forge: 'gh', kind: 'pullRequest',
    repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '1' },
    number: 2, action: 'opened',
    head: { sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', ref: 'changes', repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '1' } },
    base: { ref: 'master' }, fromFork: false, author: 'Codertocat', defaultBranch: 'master',
  },
  'pull_request.synchronize.json': {
    deliveryId: 'd-pull_request.synchronize.json', forge: 'gh', kind: 'pullRequest',
    repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '1' },
    number: 2, action: 'synchronize',
    head: { sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', ref: 'changes', repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '1' } },
    base: { ref: 'master' }, fromFork: false, author: 'Codertocat', defaultBranch: 'master',
  },
  'push.json': {
    deliveryId: 'd-push.json', forge: 'gh', kind: 'push',
    repo: { owner: 'Codertocat', name: 'Hello-World', id: '186853002', installationId: '1' },
    ref: 'refs/heads/master', before: '0000000000000000000000000000000000000000', after: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', sender: 'Codertocat',
    defaultBranch: 'master',
  },
};

test('every fixture is covered by this table', () => {
  assert.equal(fixtureNames(), Object.keys(EXPECTED).sort());
});

for (const name of fixtureNames()) {
  test(`fixture ${name} (re-signed) maps as expected`, async () => {
    const payload = loadFixture(name);
    const got = await forge(appOf(payload)).verifyAndParse(deliveryOf(name));
    assert.equal(got, EXPECTED[name]);
  });
}

test('check_run buttons: rerun, cancel, approve use the external id (the job id); approve names the check head sha', async () => {
  const p = loadFixture('check_run.requested_action');
  p.check_run.external_id = 'job-123';
  const f = forge(p.check_run.app.id);
  const repo = { owner: 'electron', name: 'electron', id: '9384267', installationId: '690857' };
  const expect = (identifier: string, event: Record<string, unknown>) => async () => {
    p.requested_action.identifier = identifier;
    assert.equal(await f.verifyAndParse(deliveryOf('check_run.requested_action.json', p, { deliveryId: 'x' })), { deliveryId: 'x', forge: 'gh', repo, ...event });
  };
  await expect('rerun', { kind: 'rerun', checkId: 'job-123', sha: '5bd5f196a46b8222fb7484f05faba41a73cf34bd', scope: 'one', sender: 'codebytere' })();
  await expect('cancel', { kind: 'cancel', checkId: 'job-123', sender: 'codebytere' })();
  await expect('approve', { kind: 'approve', target: 'job-123', sender: 'codebytere', headSha: '5bd5f196a46b8222fb7484f05faba41a73cf34bd' })();
});

test('check_run.rerequested of our run re-runs that one job', async () => {
  const p = loadFixture('check_run.rerequested');
  p.check_run.external_id = 'job-9';
  const got = await forge(2).verifyAndParse(deliveryOf('check_run.rerequested.json', p, { deliveryId: 'r' }));
  assert.equal(got, { deliveryId: 'r', forge: 'gh', kind: 'rerun', repo: { owner: 'github', name: 'hello-world', id: '526', installationId: '1' }, checkId: 'job-9', suiteId: '5', sha: 'd6fde92930d4715a2b49857d24b940956b26d2d3', scope: 'one', sender: 'octocat' });
});

test("other Apps' check suites and runs are ignored", async () => {
  for (const name of ['check_suite.requested.json', 'check_suite.rerequested.json', 'check_run.rerequested.json']) {
    const p = loadFixture(name);
    if (p.check_run) p.check_run.external_id = 'job-1';
    assert.is(await forge(appOf(p) + 1).verifyAndParse(deliveryOf(name, p)), null, name);
  }
});

test('a fork pull request has fromFork true; a deleted fork (head.repo null) too', async () => {
  const p = loadFixture('pull_request.opened');
  p.pull_request.head.repo.full_name = 'mallory/Hello-World';
  p.pull_request.head.repo.owner.login = 'mallory';
  const ev = (await forge(1).verifyAndParse(deliveryOf('pull_request.opened.json', p))) as Extract<ForgeEvent, { kind: 'pullRequest' }>;
  assert.is(ev.fromFork, true);
  assert.is(ev.head.repo.owner, 'mallory');
  assert.is(ev.repo.owner, 'Codertocat');
  p.pull_request.head.repo = null;
  const gone = (await forge(1).verifyAndParse(deliveryOf('pull_request.opened.json', p))) as Extract<ForgeEvent, { kind: 'pullRequest' }>;
  assert.is(gone.fromFork, true);
  p.action = 'closed';
  assert.is(await forge(1).verifyAndParse(deliveryOf('pull_request.opened.json', p)), null, 'closed PRs are ignored');
});

test('push: branch deletion is ignored; changed files are listed when the payload has every commit', async () => {
  const p = loadFixture('push');
  p.before = 'a'.repeat(40);
  p.commits = [{ added: ['a.txt'], removed: ['b.txt'], modified: ['c.txt', 'a.txt'] }];
  const ev = (await forge(1).verifyAndParse(deliveryOf('push.json', p))) as Extract<ForgeEvent, { kind: 'push' }>;
  assert.equal(ev.changedFiles, ['a.txt', 'b.txt', 'c.txt']);
  p.deleted = true;
  p.after = '0'.repeat(40);
  assert.is(await forge(1).verifyAndParse(deliveryOf('push.json', p)), null);
});

test('check_suite.requested for a tag (no head_branch) is ignored', async () => {
  const p = loadFixture('check_suite.requested');
  p.check_suite.head_branch = null;
  assert.is(await forge(appOf(p)).verifyAndParse(deliveryOf('check_suite.requested.json', p)), null);
});

test('ping; unknown events are ignored; allowedOwners filters (case-insensitive)', async () => {
  assert.equal(await forge(1).verifyAndParse(signedDelivery('ping', { zen: 'Design for failure.', hook_id: 1 }, { deliveryId: 'p' })), { deliveryId: 'p', forge: 'gh', kind: 'ping' });
  assert.is(await forge(1).verifyAndParse(signedDelivery('star', { action: 'created' })), null);
  assert.is(await forge(1, ['someone-else']).verifyAndParse(deliveryOf('push.json')), null);
  assert.ok(await forge(1, ['codertocat']).verifyAndParse(deliveryOf('push.json')));
  assert.is(await forge(957387, ['someone-else']).verifyAndParse(deliveryOf('installation.created.json')), null);
});

test('a signed delivery without installation, without delivery id, or not JSON is E_WEBHOOK_INVALID (400)', async () => {
  const p = loadFixture('push');
  delete p.installation;
  const cases = [
    deliveryOf('push.json', p),
    (() => {
      const d = deliveryOf('push.json');
      delete (d.headers as Record<string, string>)['x-github-delivery'];
      return d;
    })(),
    signedDelivery('push', Buffer.from('{not json')),
  ];
  for (const d of cases) {
    try {
      await forge(1).verifyAndParse(d);
      assert.unreachable();
    } catch (err) {
      assert.ok(isHeliosError(err));
      assert.is(err.code, 'E_WEBHOOK_INVALID');
    }
  }
});

test('the signature is checked before anything else: a tampered fixture is refused', async () => {
  const d = deliveryOf('push.json');
  d.rawBody = Buffer.from(d.rawBody.toString('utf8').replace('Codertocat', 'Codertocab'));
  try {
    await forge(1).verifyAndParse(d);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'E_SIGNATURE_INVALID');
  }
});

test.run();
