import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeHarness } from './serveHarness.js';

// core/dist/test/http/ → shared/ stands beside the repository (HELIOS_SHARED_DIR overrides, as in the forge tests).
const FIXTURES = join(process.env.HELIOS_SHARED_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared'), 'fixtures');
const FORGEJO_SECRET = 'forgejo-test-secret';
const GITHUB_SECRET = 'github-test-secret';
const fixture = (path: string) => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8')) as Record<string, any>;

/** A real `helios serve` with both real forge plugins (their APIs are never called here). */
async function serveWithForges(): Promise<ServeHarness> {
  const h = new ServeHarness(`  forgejo:
    use: "@helios-ci/forge-forgejo"
    config: { baseUrl: "http://127.0.0.1:9", token: "unused-token", webhookSecret: ${FORGEJO_SECRET} }
  github:
    use: "@helios-ci/forge-github"
    config: { appId: 1, privateKey: { file: app-key.pem }, webhookSecret: ${GITHUB_SECRET} }
`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(h.dir, 'app-key.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  return h.start();
}

/** Posts a correctly signed Forgejo delivery with the header set of the fixture's deliveries.json. */
async function forgejo(h: ServeHarness, event: string, body: unknown) {
  const raw = JSON.stringify(body);
  const sig = createHmac('sha256', FORGEJO_SECRET).update(raw).digest('hex');
  const id = randomUUID();
  return h.api('POST', '/hooks/forgejo', {
    body: raw,
    headers: { 'x-forgejo-delivery': id, 'x-forgejo-event': event, 'x-forgejo-event-type': event, 'x-forgejo-signature': sig, 'x-hub-signature-256': `sha256=${sig}` },
  });
}

async function github(h: ServeHarness, event: string, body: unknown) {
  const raw = JSON.stringify(body);
  const sig = createHmac('sha256', GITHUB_SECRET).update(raw).digest('hex');
  return h.api('POST', '/hooks/github', { body: raw, headers: { 'x-github-delivery': randomUUID(), 'x-github-event': event, 'x-hub-signature-256': `sha256=${sig}` } });
}

test('signed deliveries whose fields have the wrong types get 400 E_WEBHOOK_INVALID (never a 500, never a 202 that fails in planning)', async () => {
  const h = await serveWithForges();
  try {
    const cases: [string, () => ReturnType<typeof forgejo>][] = [
      // Forgejo: a number where the ref string belongs (was 202, then planning failed and retried).
      ['forgejo push ref: 42', () => forgejo(h, 'push', { ...fixture('forgejo/push.json'), ref: 42 })],
      // Forgejo: a number where a commit's file list belongs (was a TypeError: 500).
      ['forgejo push commits[0].added: 5', () => forgejo(h, 'push', { ...fixture('forgejo/push.json'), commits: [{ added: 5 }], total_commits: 1 })],
      ['forgejo pull_request head.sha: 123', () => {
        const p = fixture('forgejo/pull_request.json');
        p.pull_request.head.sha = 123;
        return forgejo(h, 'pull_request', p);
      }],
      // GitHub: a commit whose `added` is a number (was a TypeError: 500).
      ['github push commits[0].added: 5', () => {
        const p = fixture('github/push.json');
        p.before = '1'.repeat(40);
        p.commits = [{ ...p.commits[0], added: 5 }];
        return github(h, 'push', p);
      }],
      // GitHub: a pull request number that is not a number (was 202 with number NaN).
      ['github pull_request number: "seven"', () => {
        const p = fixture('github/pull_request.opened.json');
        p.number = 'seven';
        p.pull_request.number = 'seven';
        return github(h, 'pull_request', p);
      }],
    ];
    for (const [name, send] of cases) {
      const res = await send();
      assert.is(res.status, 400, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.is(res.body.error.code, 'E_WEBHOOK_INVALID', name);
    }
    // Nothing reached the inbox, so nothing is planned or retried.
    const runs = await h.api('GET', '/api/runs');
    assert.equal(runs.body.runs, []);
    assert.not.match(h.output().stderr, /"level":"error"/);
    // The unmodified fixtures still go through (the check only refuses wrong types).
    const good = await forgejo(h, 'push', fixture('forgejo/push.json'));
    assert.is(good.status, 202, JSON.stringify(good.body));
    const goodGithub = await github(h, 'push', fixture('github/push.json'));
    assert.is(goodGithub.status, 202, JSON.stringify(goodGithub.body));
  } finally {
    await h.stop();
  }
});

test.run();
