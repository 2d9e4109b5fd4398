// End to end: `helios serve` with runtime-bhyve on the illumos simulator, storage-zfs on zfs-fuse
// (through the simulator's zvol-emulating zfs) and a recording forge. A push runs a two-job
// workflow, each job in its own zone; the console reaches the job log; nothing is left afterwards;
// a boot fault errors the job with its reason; an unknown runs-on label is a plan problem naming the
// labels that exist. kill -9 + restart: serveCrash.test.ts; the other faults: serveFaults.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { final, nothingLeft, World } from './serveWorld.js';
import { LABEL, requireComponent, simMissing, withSimHost } from './simWorld.js';

const missing = simMissing();
const t = requireComponent(test, missing);

t('a push runs a two-job workflow, each job in its own zone; console lines in the job log; nothing left', () =>
  withSimHost(async (h) => {
    const w = new World(h);
    try {
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo job-a-ran\n  b:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo job-b-ran\n`);
      const sha = w.repo.commit();
      w.start();
      assert.is((await w.push(sha)).status, 202);
      const jobs = await waitFor('both jobs to finish', () => {
        const js = w.jobs();
        return js.length === 2 && js.every((j) => final(j.state)) && js;
      }, 240_000);
      for (const j of jobs) {
        const log = w.log(j.id);
        assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}\n${log.map((l) => l.text).join('\n')}`);
        assert.ok(log.some((l) => l.text.includes(`job-${j.name}-ran`)));
        const consoleText = log.filter((l) => l.stream === 'console').map((l) => l.text).join('\n');
        assert.match(consoleText, `zone hsim-${j.id}`, 'the console is of the job\'s own zone');
        assert.ok(w.timings(j.id)?.hello_at, 't3 recorded');
      }
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

t('a boot fault errors the job with the reason (zone.log in the log) and leaves nothing; an unknown label is a plan problem naming the labels', () =>
  withSimHost(async (h) => {
    const w = new World(h);
    try {
      await h.sim('control', 'fault', 'add', 'boot-fail', '--count', '1');
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo never\n`);
      w.repo.write('.github/workflows/other.yml', `on: push\njobs:\n  x:\n    runs-on: ubuntu-nope\n    steps:\n      - run: echo never\n`);
      const sha = w.repo.commit();
      w.start();
      assert.is((await w.push(sha)).status, 202);
      const job = await waitFor('the job to end', () => w.jobs().find((j) => j.name === 'a' && final(j.state)), 120_000);
      assert.is(job.state, 'errored');
      assert.match(job.reason ?? '', 'E_BHYVE_BOOT_FAILED');
      assert.match(w.log(job.id).map((l) => l.text).join('\n'), 'failed to allocate guest memory');
      const problems = w.runs().map((r) => r.plan_json).join('\n');
      assert.match(problems, 'ubuntu-nope');
      assert.match(problems, LABEL);
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

test.run();
