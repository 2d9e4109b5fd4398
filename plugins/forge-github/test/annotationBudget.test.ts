import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadFixture, post, retarget, signedDelivery, TEST_WEBHOOK_SECRET } from './helpers/fixtures.js';
import { Deployment, startServe, waitFor, type ServeProcess } from './helpers/serve.js';
import { createWorld, INSTALLATION, OWNER, type World } from './helpers/world.js';

// Issue 10 item 11: 120 annotations used to cost ~380 requests (one GET, a listing of everything
// sent so far and one PATCH per annotation). Now: batches of 50, at most `maxForgeAnnotationsPerJob`.

const NOISY = `name: CI
on: push
jobs:
  noisy:
    runs-on: local
    steps:
      - run: |
          i=1
          while [ $i -le 120 ]; do echo "::warning file=src/a.ts,line=$i::finding $i"; i=$((i+1)); done
`;
const CAP = 70;

let w: World;
let d: Deployment;
let serve: ServeProcess;

test.before(async () => {
  w = await createWorld({ files: { '.github/workflows/ci.yml': NOISY, 'src/a.ts': 'export {};\n' } });
  d = new Deployment(w.standIn, TEST_WEBHOOK_SECRET, { maxForgeAnnotationsPerJob: CAP });
  serve = startServe(d);
});

test.after(async () => {
  await serve?.stop();
  d?.cleanup();
  await w?.cleanup();
});

test('120 annotations: at most ceil(cap/50) annotation requests of ≤ 50, none repeated, no listing; the store keeps all 120', async () => {
  const url = await serve.url;
  const p = retarget(loadFixture('check_suite.requested'), { owner: OWNER, name: 'widget', repoId: w.ghRepo.id, installationId: INSTALLATION, appId: w.standIn.appId });
  Object.assign(p.check_suite, { head_sha: w.sha, after: w.sha, before: '0'.repeat(40), head_branch: 'main' });
  assert.is((await post(`${url}/hooks/github`, signedDelivery('check_suite', p))).status, 202);
  const run = await waitFor('the check to complete', () => w.standIn.runs().find((r) => r.head_sha === w.sha && r.status === 'completed'), 90_000);
  // The close is written after the last annotation batch: wait for the outbox to drain.
  await waitFor('the outbox to drain', () => d.query<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'sending')")[0]?.n === 0, 30_000);
  assert.is(run.conclusion, 'success');

  const carrying = w.standIn.requests.filter((r) => r.annotations && r.annotations.length > 0);
  assert.ok(carrying.length <= Math.ceil(CAP / 50), `${carrying.length} annotation-carrying requests`);
  for (const r of carrying) assert.ok(r.annotations!.length <= 50, `a request carried ${r.annotations!.length}`);
  const sent = carrying.flatMap((r) => r.annotations!);
  assert.is(new Set(sent).size, sent.length, 'no annotation sent twice');
  assert.is(sent.length, CAP);
  assert.equal(sent, Array.from({ length: CAP }, (_, i) => `finding ${i + 1}`), 'the first ones, in order');
  assert.is(w.standIn.requests.filter((r) => r.path.endsWith('/annotations')).length, 0, 'nothing re-listed');
  assert.is(run.annotations.length, CAP);
  assert.match(run.output.summary ?? '', new RegExp(`${120 - CAP} of 120 annotations not shown here`));
  assert.equal(w.standIn.rejections, [], 'GitHub refused nothing');

  const [job] = d.jobs();
  const stored = d.query<{ n: number }>('SELECT count(*) AS n FROM annotations WHERE job_id = ?', job!.id)[0]?.n;
  assert.is(stored, 120, 'the job page keeps all of them');
});

test.run();
