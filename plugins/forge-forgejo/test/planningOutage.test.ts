// A forge that hangs (accepts connections, never answers) must neither keep a restarted `helios
// serve` deaf nor hold back another forge's deliveries (issue 10, item 9). Real serve child
// processes against Forgejo stand-ins; the hanging forge's client timeout is set far beyond the
// test, so only Helios's own per-call planning timeout and per-forge queues can save the day.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForgejoStandIn } from './standIn/server.js';
import { GitRepo } from './helpers/gitRepo.js';
import { TOKEN } from './helpers/standInRepo.js';
import { Deployment, deliveryOf, pushPayload, waitFor } from './helpers/deployment.js';

const WORKFLOW = 'name: CI\non: push\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: echo planned-and-ran\n';
const HANG_MS = 10 * 60_000;

async function withForges(body: (env: { a: ForgejoStandIn; b: ForgejoStandIn; d: Deployment; sha: string }) => Promise<void>): Promise<void> {
  const repo = new GitRepo();
  repo.write('.forgejo/workflows/ci.yml', WORKFLOW);
  const sha = repo.commit('initial');
  const standIn = () => ForgejoStandIn.start({ token: TOKEN, repos: [{ owner: 'acme', name: 'widget', dir: repo.dir, id: 42 }], permissions: { acme: 'owner' } });
  let a: ForgejoStandIn | null = null;
  let b: ForgejoStandIn | null = null;
  let d: Deployment | null = null;
  try {
    a = await standIn();
    b = await standIn();
    d = new Deployment(a.url, { requestTimeoutSeconds: 3600, secondForgeUrl: b.url });
    await d.start();
    await body({ a, b, d, sha });
  } catch (err) {
    if (d) console.error(`serve output:\n${d.output()}`);
    throw err;
  } finally {
    await d?.stop();
    d?.cleanup();
    await a?.stop();
    await b?.stop();
    repo.cleanup();
  }
}

test('restart with deliveries pending for a hanging forge: serve listens and answers /healthz while their planning hangs', async () => {
  await withForges(async ({ a, d, sha }) => {
    a.down(HANG_MS, 'hang');
    for (const id of ['pending-1', 'pending-2']) {
      assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: id }))).status, 202);
    }
    await waitFor('planning to hang on the forge', () => a.hangingRequests() > 0);
    await d.stop();
    assert.equal(d.inbox().map((r) => r.status), ['received', 'received'], 'both deliveries are still pending');

    await d.start();
    const health = await fetch(`${d.url}/healthz`);
    assert.is(health.status, 200);
    await waitFor('the restarted server to plan the pending deliveries (and hang on the forge)', () => a.hangingRequests() > 0);
    assert.is((await fetch(`${d.url}/healthz`)).status, 200, 'healthz answers while planning hangs');
    assert.equal(d.inbox().map((r) => r.status), ['received', 'received'], 'the deliveries wait for the forge, none is lost');
    // Each hanging call ends at limits.forgeCallTimeoutSeconds and the delivery is retried later.
    await waitFor('a planning call to time out and be retried', () => /E_FORGE_TIMEOUT/.test(d.output()) && /trying again later/.test(d.output()));
    assert.equal(d.jobs(), []);
  });
});

test("a second forge's delivery is planned and runs while the first forge hangs", async () => {
  await withForges(async ({ a, d, sha }) => {
    a.down(HANG_MS, 'hang');
    assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'stuck-1' }))).status, 202);
    await waitFor('planning to hang on the first forge', () => a.hangingRequests() > 0);
    assert.is((await d.deliver(deliveryOf('push', pushPayload(sha, ['.forgejo/workflows/ci.yml']), { deliveryId: 'other-1' }), 'second')).status, 202);
    const job = await waitFor("the second forge's job to finish", () => d.jobs().find((j) => j.finished_at !== null));
    assert.is(job.state, 'succeeded');
    assert.ok(d.log(job.id).includes('planned-and-ran'));
    assert.ok(a.hangingRequests() > 0, 'the first forge still hangs');
    const inbox = d.inbox();
    assert.equal(
      inbox.map((r) => [r.forge, r.status]),
      [
        ['codeberg', 'received'],
        ['second', 'planned'],
      ],
    );
    assert.equal(d.query<{ forge: string }>('SELECT forge FROM runs'), [{ forge: 'second' }]);
  });
});

test.run();
