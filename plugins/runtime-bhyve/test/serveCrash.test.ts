// `kill -9` of `helios serve` while a job runs in its zone, then a restart on the same data dir: the
// reconciler destroys the leaked zone, VNIC and clone (the simulator's state and `zfs list` say so),
// the job ends as the core decides for a job interrupted by a restart (errored), and the forge's check
// is closed. The job's step runs in a session of its own inside the guest: the simulated halt must
// end it too, or its working directory would keep the clone busy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { nothingLeft, World } from './serveWorld.js';
import { LABEL, requireComponent, simMissing, withSimHost } from './simWorld.js';

const t = requireComponent(test, simMissing());

t('kill -9 of serve mid-job, restart: the leaked zone, VNIC and clone are destroyed, the job errored, its check closed', () =>
  withSimHost(async (h) => {
    const w = new World(h);
    try {
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  long:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo first-step-done\n      - run: echo sleeping-now && sleep 600\n`);
      const sha = w.repo.commit();
      const first = w.start();
      assert.is((await w.push(sha)).status, 202);
      const job = await waitFor('the job to run its long step', () => {
        const j = w.jobs().find((x) => x.name === 'long' && x.state === 'running');
        return j && w.log(j.id).some((l) => l.text.includes('sleeping-now')) && j;
      }, 180_000);
      await waitFor('the forge check to be in progress', () => w.checks().find((c) => c.jobId === job.id && c.status !== 'completed'));
      first.child.kill('SIGKILL');
      await new Promise<void>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r() : first.child.once('exit', () => r())));
      const leaked = await h.leftovers();
      assert.ok(leaked.some((l) => l.startsWith('zone hsim-')), `the zone outlives serve: ${leaked.join(', ')}`);
      assert.ok(leaked.some((l) => l.startsWith('vnic ')), 'the VNIC outlives serve');
      assert.ok(leaked.some((l) => l.startsWith('dataset ') && l.includes(job.id)), 'the clone outlives serve');
      assert.match((await h.sim('zoneadm', 'list', '-cp')).stdout, `hsim-${job.id}:running:`);

      w.start();
      await w.serve!.url;
      const ended = await waitFor('the job to be errored', () => w.jobs().find((j) => j.id === job.id && j.state === 'errored'), 120_000);
      assert.match(ended.reason ?? '', /Helios restarted while the job was running/);
      assert.ok(w.log(job.id).some((l) => l.text.includes('first-step-done')), 'completed steps keep their log');
      // Reconciliation destroys leftovers before any job is taken: nothing may remain now.
      await nothingLeft(h, 30_000);
      assert.not.match((await h.pool.zfs('list', '-H', '-o', 'name', '-r', h.pool.parent)), `jobs/${job.id}`);
      const check = await waitFor('the check to be closed', () => w.checks().find((c) => c.jobId === job.id && c.status === 'completed'), 60_000);
      assert.is(check.result?.conclusion, 'failure');
      assert.not.match(w.serve!.output(), /destroying a leftover machine failed/);
    } finally {
      await w.cleanup();
    }
  }),
);

test.run();
