import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAlive } from '@helios-ci/sdk/process-liveness';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function agentPids(d: Deployment): number[] {
  const root = join(d.dir, 'machines');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((m) => {
    try {
      return [JSON.parse(d.read(`machines/${m}/machine.json`)).pid as number].filter(Boolean);
    } catch {
      return [];
    }
  });
}

/** A first step that leaves a setsid daemon and a double-forked one behind, printing their pids. */
const DAEMON_STEP = [
  '      - run: |',
  `          setsid sh -c 'echo $$ > "$RUNNER_TEMP/d1.pid"; exec sleep 1000' >/dev/null 2>&1 &`,
  `          ( setsid sh -c 'sh -c "echo \\$\\$ > \\"\\$RUNNER_TEMP/d2.pid\\"; exec sleep 1000" >/dev/null 2>&1 & ' & )`,
  '          while [ ! -s "$RUNNER_TEMP/d1.pid" ] || [ ! -s "$RUNNER_TEMP/d2.pid" ]; do sleep 0.05; done',
  '          echo "daemon-pid=$(cat "$RUNNER_TEMP/d1.pid")"; echo "daemon-pid=$(cat "$RUNNER_TEMP/d2.pid")"',
  '          echo first-step-done',
].join('\n');

test('kill -9 of helios serve mid-job, then restart: agent, daemons and workspace gone, job errored, check closed, logs intact', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/slow.yml', `on: push\njobs:\n  slow:\n    runs-on: local\n    steps:\n${DAEMON_STEP}\n      - run: sleep 120\n`);
  const sha = repo.commit();
  // Unsandboxed: the test checks the daemons' pids from the host (in the sandbox they are namespace pids).
  const d = new Deployment(repo, { sandbox: 'off' });
  let serve = startServe(d.dir);
  try {
    const url = await serve.url;
    const res = await d.push(url, sha);
    assert.is(res.status, 202);
    const job = await waitFor('the sleep step to run', () => {
      const j = d.jobs()[0];
      return j && d.log(j.id).includes('first-step-done') && d.query<{ state: string }>("SELECT state FROM steps WHERE job_id = ? AND idx = 2", j.id)[0]?.state === 'running' && j;
    });
    const pids = agentPids(d);
    assert.is(pids.length, 1);
    const daemons = [...d.log(job.id).join('\n').matchAll(/daemon-pid=(\d+)/g)].map((m) => Number(m[1]));
    assert.is(daemons.length, 2, d.log(job.id).join('\n'));
    assert.ok(daemons.every(isAlive), 'the daemons run');
    assert.ok(alive(pids[0]!), 'the agent runs');
    serve.child.kill('SIGKILL');
    await serve.exited;

    serve = startServe(d.dir);
    await serve.url;
    const final = await waitFor('the job to be errored', () => d.jobs().find((j) => j.id === job.id && j.state === 'errored'));
    assert.match(final.reason!, /Helios restarted while the job was running/);
    await waitFor('the orphaned agent to be gone', () => !alive(pids[0]!));
    await waitFor('the daemons to be gone', () => !daemons.some(isAlive));
    // Machine directories are hl-<hex>; `_tool` is the host's tool cache, shared by jobs and kept.
    assert.equal(readdirSync(join(d.dir, 'machines')).filter((e) => e.startsWith('hl-')), [], 'the workspace is removed');
    assert.ok(d.log(job.id).includes('first-step-done'), 'completed steps keep their log');
    const check = await waitFor('the check to be closed', () => d.forge().checks.find((c) => c.jobId === job.id && c.status === 'completed'));
    assert.is(check.result!.conclusion, 'failure');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test('cancel-in-progress: a new push to the same branch cancels the running job', async () => {
  const repo = new GitRepo();
  const workflow = (step: string) => `on: push\nconcurrency:\n  group: ci-\${{ github.ref }}\n  cancel-in-progress: true\njobs:\n  build:\n    runs-on: local\n    steps:\n      - run: ${step}\n`;
  repo.write('.github/workflows/ci.yml', workflow('sleep 120'));
  const first = repo.commit('slow');
  repo.write('.github/workflows/ci.yml', workflow('echo second-run'));
  const second = repo.commit('fast');
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    await d.push(url, first);
    const running = await waitFor('the first job to run', () => d.jobs().find((j) => j.state === 'running'));
    await d.push(url, second);
    await waitFor('both jobs to finish', () => {
      const jobs = d.jobs();
      return jobs.length === 2 && jobs.every((j) => ['cancelled', 'succeeded'].includes(j.state)) && jobs;
    }, 60_000);
    const jobs = d.jobs();
    assert.is(jobs.find((j) => j.id === running.id)!.state, 'cancelled');
    assert.match(jobs.find((j) => j.id === running.id)!.reason!, /superseded by run .* in concurrency group ci-refs\/heads\/main/);
    const other = jobs.find((j) => j.id !== running.id)!;
    assert.is(other.state, 'succeeded');
    assert.ok(d.log(other.id).includes('second-run'));
    const checks = await waitFor('both checks closed', () => {
      const c = d.forge().checks;
      return c.length === 2 && c.every((x) => x.status === 'completed') && c;
    });
    assert.equal(checks.map((c) => c.result!.conclusion).sort(), ['cancelled', 'success']);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test('job timeout: timeout-minutes ends the job as timed_out and kills what the step started', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/t.yml', 'on: push\njobs:\n  t:\n    runs-on: local\n    timeout-minutes: 0.05\n    steps:\n      - run: |\n          sleep 300 &\n          echo "bg=$!"\n          sleep 300\n');
  const sha = repo.commit();
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    const started = Date.now();
    await d.push(url, sha);
    const job = await waitFor('the job to time out', () => d.jobs().find((j) => j.state === 'timed_out'), 60_000);
    assert.ok(Date.now() - started < 30_000, 'timed out promptly');
    const bg = Number(d.log(job.id).find((l) => l.startsWith('bg='))!.slice(3));
    await waitFor('the background sleep to be killed', () => !alive(bg), 10_000);
    const check = await waitFor('the check to close', () => d.forge().checks.find((c) => c.status === 'completed'));
    assert.is(check.result!.conclusion, 'timed_out');
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test('forge outage (500s, then hanging calls): every update arrives afterwards, in order, none twice, close last', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  chatty:\n    runs-on: local\n    steps:\n      - run: for i in $(seq 1 20); do echo "line $i"; sleep 0.05; done\n      - run: echo "::warning file=x.c,line=1::careful"\n      - run: echo done-now\n');
  const sha = repo.commit();
  const d = new Deployment(repo, { outageCalls: 6 });
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    await d.push(url, sha);
    await waitFor('the job to succeed', () => d.jobs().find((j) => j.state === 'succeeded'), 60_000);
    const forge = await waitFor('the check to close after the outage', () => {
      const f = d.forge();
      return f.checks[0]?.status === 'completed' && f;
    }, 90_000);
    const failed = forge.calls.filter((c) => c.outcome !== 'ok');
    assert.ok(failed.length > 0, 'the outage really failed calls');
    assert.ok(failed.some((c) => c.outcome === 'failed') && failed.some((c) => c.outcome === 'hung'), 'both 500s and hangs happened');
    const applied = forge.calls.filter((c) => c.outcome === 'ok');
    assert.is(applied.filter((c) => c.method === 'openCheck').length, 1, 'opened once');
    assert.is(applied.filter((c) => c.method === 'closeCheck').length, 1, 'closed once');
    assert.is(applied[applied.length - 1]!.method, 'closeCheck', 'close is the last write');
    const check = forge.checks[0]!;
    assert.is(check.result!.conclusion, 'success');
    assert.equal(check.annotations, [{ level: 'warning', message: 'careful', file: 'x.c', line: 1 }]);
    assert.match(check.result!.text ?? '', /done-now/);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
