// A worker host lost after it took a job but before the job's agent connected (real processes on
// loopback, a real nats-server): control notices from the worker's missing status polls within
// limits.agentLostSeconds — not the agent's 15-minute connect timeout — and runs the job again on
// another worker (retryLostHost) or ends it errored; the lost attempt's agent, connecting late, is
// refused. The worker's machines run a gated agent (gatedAgent.ts), so the test acts in that window
// on an event (the gate reached), never after a sleep.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);
const oneJob = `on: push\njobs:\n  slow:\n    runs-on: remote\n    steps:\n      - run: echo slow-start && sleep 1 && echo slow-done\n`;
/** wa's machine started, its agent held at the gate (so it cannot have connected). */
const caught = (w: ClusterWorld) => w.worker('wa').gateReached() && w.worker('wa').machines().some((m) => m.pid);
// agentLostSeconds 3 (ClusterWorld's default): the bound; the connect timeout stays 15 min.
const world = (retryLostHost: number) =>
  ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, ackWaitSeconds: 3, retryLostHost }, [
    { id: 'wa', capacity: 1, labels: ['remote'], gatedAgent: true },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);

t('a worker killed after its machine started, before the agent connected: the job runs again once on the other worker; the dead worker destroys its machine when it comes back', async () => {
  const w = await world(1);
  try {
    const wa = w.worker('wa');
    const wb = w.worker('wb');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob);
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor("wa's machine to start with its agent held", () => caught(w), 60_000);
    await wb.start();
    await wa.killHost();
    assert.is(wa.machines().length, 1, 'the dead host left its machine behind');
    const [job] = await w.waitJobs('the job to finish', 1, 90_000);
    const log = w.logText(job!.id);
    assert.is(job!.state, 'succeeded', `${job!.reason}\n${log}`);
    assert.match(log, /worker wa was lost after its machine started, before the job's agent connected: nothing heard from it for \d+\.\d s/);
    assert.match(log, 'starting it again on another host (retry 1 of 1)');
    assert.is(log.split('\n').filter((l) => l === 'slow-done').length, 1, 'the step ran once');
    assert.equal(w.provisioned(job!.id).map((e) => `${e.worker}#${e.attempt}`), ['wa#1', 'wb#2'], 'started once per attempt, the second on the other worker');
    await wa.start();
    assert.equal(wa.machines(), [], 'the restarted worker destroyed its leftover machine');
  } finally {
    await w.cleanup();
  }
});

t('the same with retryLostHost 0: the job ends errored naming the lost worker, started once', async () => {
  const w = await world(0);
  try {
    const wa = w.worker('wa');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob);
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor("wa's machine to start with its agent held", () => caught(w), 60_000);
    await w.worker('wb').start();
    await wa.killHost();
    const [job] = await w.waitJobs('the job to end', 1, 60_000);
    assert.is(job!.state, 'errored');
    assert.match(job!.reason ?? '', /^worker wa was lost after its machine started, before the job's agent connected: .*it destroys the job's machine when it comes back$/);
    assert.not.match(w.logText(job!.id), 'starting it again');
    // The dead worker's message comes back after ackWait to wb, which is refused the claim.
    await waitFor('wb to drop the redelivered message', () => /job attempt not ours/.test(w.worker('wb').out), 30_000);
    assert.is(w.provisioned(job!.id).length, 1, 'never started again');
  } finally {
    await w.cleanup();
  }
});

t('a worker killed while it was making the machine: the job runs again on the other worker', async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 4, concurrentJobs: 4, ackWaitSeconds: 3, retryLostHost: 1 }, [
    { id: 'wa', capacity: 1, labels: ['remote'], stuckProvisioning: true },
    { id: 'wb', capacity: 1, labels: ['remote'] },
  ]);
  try {
    const wa = w.worker('wa');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob);
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor('wa to start making the machine', () => wa.provisioningStarted(), 60_000);
    await w.worker('wb').start();
    await wa.killHost();
    const [job] = await w.waitJobs('the job to finish', 1, 90_000);
    const log = w.logText(job!.id);
    assert.is(job!.state, 'succeeded', `${job!.reason}\n${log}`);
    assert.match(log, /worker wa was lost while it was making the job's machine: nothing heard from it for \d+\.\d s/);
    assert.match(log, 'starting it again on another host (retry 1 of 1)');
    assert.equal(w.provisioned(job!.id).map((e) => `${e.worker}#${e.attempt}`), ['wb#2'], 'wa never reported a machine; wb ran attempt 2');
  } finally {
    await w.cleanup();
  }
});

t('a worker frozen before its agent connected: the job runs on the other worker; the late agent is refused and the thawed worker destroys its machine', async () => {
  const w = await world(1);
  try {
    const wa = w.worker('wa');
    const wb = w.worker('wb');
    await wa.start();
    w.repo.write('.github/workflows/ci.yml', oneJob);
    w.startControl();
    assert.is((await w.push(w.repo.commit())).status, 202);
    await waitFor("wa's machine to start with its agent held", () => caught(w), 60_000);
    await wb.start();
    // SIGSTOP: the worker stops polling (a host cut off), its machine lives on with the agent at the gate.
    process.kill(wa.child!.pid!, 'SIGSTOP');
    let job: { id: string; state: string; reason: string | null };
    try {
      job = (await w.waitJobs('the job to finish on wb', 1, 90_000))[0]!;
      assert.is(job.state, 'succeeded', `${job.reason}\n${w.logText(job.id)}`);
      // The lost attempt's agent connects now, with the token control gave wa.
      wa.openGate();
      await waitFor("wa's late agent to be refused", () => wa.agentLogs().some((l) => /job token refused: the job this token belongs to has finished as errored/.test(l)), 30_000);
    } finally {
      process.kill(wa.child!.pid!, 'SIGCONT');
    }
    await waitFor('the thawed wa to destroy its machine', () => wa.machines().length === 0, 30_000);
    assert.match(wa.out, 'control no longer runs this job; destroying its machine');
    const log = w.logText(job.id);
    assert.is(log.split('\n').filter((l) => l === 'slow-done').length, 1, `the step ran once:\n${log}`);
    assert.equal(w.provisioned(job.id).map((e) => `${e.worker}#${e.attempt}`), ['wa#1', 'wb#2']);
  } finally {
    await w.cleanup();
  }
});

t.run();
