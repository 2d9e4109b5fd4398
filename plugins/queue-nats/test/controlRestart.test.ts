// Control (helios serve) killed -9 and restarted on the same data dir while workers run its jobs:
// the restarted control re-adopts them (job_agents: the agent token's hash, the machine, the last
// stored seq), the agents resume their streams into it, the workers keep their machines and NATS
// messages (their status polls go unanswered while control is down or reconciling), and each job
// ends once, its log complete and in order, its check closed, nothing started twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);
const LINES = 30;

t('control killed and restarted mid-run: agents resume into the new control, jobs end once with every log line', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, agentLostSeconds: 15 }, [
    { id: 'wa', capacity: 1, labels: ['remote'] },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    await Promise.all(w.workers.map((x) => x.start()));
    const step = `for i in $(seq 1 ${LINES}); do echo line-$i; sleep 0.25; done`;
    w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: remote\n    steps:\n      - run: ${step}\n  b:\n    runs-on: remote\n    steps:\n      - run: ${step}\n`);
    const serve = w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('both jobs on their workers, printing', () => w.provisioned().length === 2 && w.jobs().length === 2 && w.jobs().every((j) => w.logText(j.id).includes('line-3')), 60_000);
    const exited = new Promise((r) => serve.child.once('exit', r));
    serve.child.kill('SIGKILL');
    await exited;
    // Control stays down a while: the steps keep printing into the agents' buffers.
    await new Promise((r) => setTimeout(r, 2000));
    w.startControl();
    const jobs = await w.waitJobs('both jobs to end', 2, 90_000);
    assert.is(w.provisioned().length, 2, 'no job was started again (no agent was lost)');
    for (const j of jobs) {
      assert.is(j.state, 'succeeded', `${j.name}: ${j.state} (${j.reason ?? ''})\n${w.describe()}`);
      const lines = w.logText(j.id).split('\n').filter((l) => /^line-\d+$/.test(l));
      assert.equal(lines, Array.from({ length: LINES }, (_, i) => `line-${i + 1}`), `${j.name}: every line once, in order`);
      assert.match(w.logText(j.id), 'waiting for its agent to resume');
    }
    await waitFor('the workers to destroy their machines', () => w.workers.every((x) => x.machines().length === 0), 30_000);
    await waitFor('both checks closed as success', () => {
      const checks = w.checks().filter((c) => jobs.some((j) => j.id === c.jobId));
      return checks.length === 2 && checks.every((c) => c.status === 'completed' && c.result?.conclusion === 'success');
    }, 30_000);
  } finally {
    await w.cleanup();
  }
});

t.run();
