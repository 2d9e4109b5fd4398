// Failure semantics with real processes on loopback and a real nats-server: a worker host killed
// mid-job, a worker that freezes (stops calling working()) and loses its message, nats-server
// killed and restarted mid-run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const oneJob = (seconds: number) => `on: push\njobs:\n  slow:\n    runs-on: remote\n    steps:\n      - run: echo slow-start && sleep ${seconds} && echo slow-done\n`;
// These tests are about losing a host whose agent runs the job: wait for the step's first line (the
// agent has connected), not only for its process — on a loaded machine it may still be starting.
// (A host lost before its agent connects is caught from its missing status polls: workerLostEarly.test.ts.)
const running = (w: ClusterWorld) => w.provisioned().length === 1 && /slow-start/.test(w.logText(w.provisioned()[0]!.jobId));

t('a worker host killed mid-job: the job runs again once on the other worker; the dead worker destroys its machine when it comes back', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, ackWaitSeconds: 3, retryLostHost: 1 }, [
    { id: 'wa', capacity: 1, labels: ['remote'] },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    const wa = w.worker('wa');
    const wb = w.worker('wb');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob(6));
    const sha = w.repo.commit();
    w.startControl();
    assert.is((await w.push(sha)).status, 202);
    await waitFor('the job to run on wa', () => running(w) && wa.machines().some((m) => m.pid), 60_000);
    await wb.start();
    await wa.killHost();
    const left = wa.machines();
    assert.is(left.length, 1, 'the dead host left its machine behind');
    const [job] = await w.waitJobs('the job to finish', 1, 120_000);
    const log = w.logText(job!.id);
    assert.is(job!.state, 'succeeded', `${job!.reason}\n${log}`);
    assert.match(log, 'starting it again on another host (retry 1 of 1)');
    assert.match(log, 'slow-done');
    const starts = w.provisioned(job!.id).map((e) => `${e.worker}#${e.attempt}`);
    assert.equal(starts, ['wa#1', 'wb#2'], 'started once per attempt, the second on the other worker');
    await wa.start();
    assert.equal(wa.machines(), [], 'the restarted worker destroyed its leftover machine');
  } finally {
    await w.cleanup();
  }
});

t('a worker host killed mid-job with retryLostHost 0: the job ends errored, once', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, ackWaitSeconds: 3, retryLostHost: 0 }, [
    { id: 'wa', capacity: 1, labels: ['remote'] },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    const wa = w.worker('wa');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob(6));
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('the job to run on wa', () => running(w) && wa.machines().some((m) => m.pid), 60_000);
    await w.worker('wb').start();
    await wa.killHost();
    const [job] = await w.waitJobs('the job to end', 1, 60_000);
    assert.is(job!.state, 'errored');
    assert.match(job!.reason ?? '', 'heartbeat');
    // The dead worker's message comes back after ackWait to wb, which is refused the claim.
    await waitFor('wb to drop the redelivered message', () => /job attempt not ours/.test(w.worker('wb').out), 30_000);
    assert.is(w.provisioned(job!.id).length, 1, 'never started again');
  } finally {
    await w.cleanup();
  }
});

t('a worker that freezes past ackWait loses the message; the other worker gives it up without touching the job', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, ackWaitSeconds: 2 }, [
    { id: 'wa', capacity: 1, labels: ['remote'] },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    const wa = w.worker('wa');
    const wb = w.worker('wb');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob(8));
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    // Its agent connected: from then on the agent's heartbeats, not wa's status polls, tell whether the host lives.
    await waitFor('the job to run on wa', () => running(w), 60_000);
    await wb.start();
    // SIGSTOP: wa is alive but stops calling working(); its agent (its own process) keeps running.
    process.kill(wa.child!.pid!, 'SIGSTOP');
    try {
      await waitFor('wb to receive the message and drop it', () => /job attempt not ours/.test(wb.out), 30_000);
    } finally {
      process.kill(wa.child!.pid!, 'SIGCONT');
    }
    const [job] = await w.waitJobs('the job to finish', 1, 90_000);
    assert.is(job!.state, 'succeeded', `${job!.reason}\n${w.logText(job!.id)}`);
    assert.equal(w.provisioned(job!.id).map((e) => e.worker), ['wa'], 'the job started once, on wa');
    await waitFor('wa to destroy the machine', () => wa.machines().length === 0, 30_000);
    assert.equal(wb.machines(), []);
  } finally {
    await w.cleanup();
  }
});

t('nats-server killed and restarted mid-run (file storage): every job runs once, none lost', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 8 }, [
    { id: 'wa', capacity: 2, labels: ['remote'] },
    { id: 'wb', capacity: 2, labels: ['remote'] },
  ]);
  try {
    await Promise.all(w.workers.map((x) => x.start()));
    w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  work:\n    runs-on: remote\n    strategy:\n      matrix:\n        i: [0, 1, 2, 3, 4, 5, 6, 7]\n    steps:\n      - run: sleep 2 && echo ran-$\{{ matrix.i }}\n`);
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('the first jobs to start', () => w.provisioned().length >= 2, 60_000);
    await w.nats.kill();
    await sleep(1500);
    await w.nats.restart();
    const jobs = await w.waitJobs('8 jobs to finish', 8, 180_000);
    for (const j of jobs) {
      const log = w.logText(j.id);
      assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}\n${log}`);
      assert.not.match(log, 'starting it again', `${j.name} ran twice`);
      assert.is(log.split('\n').filter((l) => /^ran-\d$/.test(l)).length, 1, `${j.name}: its step ran once`);
    }
    await waitFor('every machine destroyed', () => w.workers.every((x) => x.machines().length === 0), 30_000);
  } finally {
    await w.cleanup();
  }
});

t.run();
