// Control (helios serve) killed -9 and restarted while workers run its jobs: the running jobs end
// errored once (control's reconciliation, as on one host), the workers learn from their status polls
// that control no longer wants them and destroy the machines; nothing starts twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);

t('control killed and restarted mid-run: running jobs end errored once, workers tear their machines down', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4 }, [
    { id: 'wa', capacity: 1, labels: ['remote'] },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    await Promise.all(w.workers.map((x) => x.start()));
    w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: remote\n    steps:\n      - run: sleep 60\n  b:\n    runs-on: remote\n    steps:\n      - run: sleep 60\n`);
    const serve = w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('both jobs on their workers', () => w.provisioned().length === 2 && w.workers.every((x) => x.machines().length === 1), 60_000);
    const exited = new Promise((r) => serve.child.once('exit', r));
    serve.child.kill('SIGKILL');
    await exited;
    w.startControl();
    const jobs = await w.waitJobs('both jobs to end', 2, 60_000);
    for (const j of jobs) {
      assert.is(j.state, 'errored', `${j.name}: ${j.state}`);
      assert.match(j.reason ?? '', 'Helios restarted while the job was running');
    }
    await waitFor('the workers to destroy their machines', () => w.workers.every((x) => x.machines().length === 0), 30_000);
    assert.is(w.provisioned().length, 2, 'no job was started again');
    for (const x of w.workers) assert.match(x.out, 'control no longer runs this job; destroying its machine');
  } finally {
    await w.cleanup();
  }
});

t.run();
