// vmactions `cache-after-prepare` end to end: `helios serve`, runtime-bhyve on the illumos simulator,
// storage-zfs on zfs-fuse. The first run snapshots the zone's disk clone after its prepare step and
// keeps it as a prepared image (a real ZFS snapshot, named by the hash of prepare and the release);
// the next run's zone is a clone of that snapshot and its prepare step is skipped; a changed prepare
// script is another key, so it prepares again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { final, nothingLeft, World } from './serveWorld.js';
import { LABEL, requireComponent, simMissing, withSimHost } from './simWorld.js';

const missing = simMissing();
const t = requireComponent(test, missing);

const workflow = (prepare: string) => `name: illumos
on: push
jobs:
  omnios:
    runs-on: ubuntu-latest
    steps:
      - uses: vmactions/omnios-vm@v1
        with:
          release: r151054
          cache-after-prepare: true
          prepare: |
            ${prepare}
          run: echo "run-ran"
`;

t('the first run keeps the disk after prepare; the next starts from it and skips prepare; another prepare prepares again', () =>
  withSimHost(async (h) => {
    const w = new World(h, { top: `vmactions: { omnios: { r151054: ${LABEL} } }\n` });
    const runJob = async (n: number) => {
      const sha = w.repo.commit();
      assert.is((await w.push(sha)).status, 202);
      const job = await waitFor(`job ${n} to finish`, () => {
        const js = w.jobs();
        return js.length === n && final(js[n - 1]!.state) && js[n - 1];
      }, 120_000);
      // The snapshot is taken and the zone destroyed after the job's result is stored: wait for both.
      await nothingLeft(h).catch((err: Error) => {
        throw new Error(`${err.message}\n${w.log(job.id).map((l) => l.text).join('\n')}`);
      });
      const log = w.log(job.id).map((l) => l.text).join('\n');
      assert.is(job.state, 'succeeded', `${job.reason}\n${log}`);
      return { job, log, steps: w.steps(job.id) };
    };
    const prepared = async () => (await h.pool.zfs('list', '-H', '-o', 'name', '-t', 'snapshot', '-r', `${h.pool.parent}`).catch(() => '')).split('\n').filter((s) => s.includes('/prepared/'));
    try {
      w.repo.write('.github/workflows/illumos.yml', workflow('echo prepare-ran'));
      w.start();
      const first = await runJob(1);
      assert.match(first.log, 'prepare-ran');
      assert.match(first.log, 'cache-after-prepare: snapshotted the machine after prepare', first.log);
      // The agent paused after prepare until the snapshot was taken: run started after it.
      assert.match(first.log, 'helios: waiting for the server to snapshot this machine (cache-after-prepare)');
      assert.ok(first.log.indexOf('snapshotted the machine after prepare') < first.log.indexOf('run-ran'), first.log);
      assert.equal(first.steps.map((s) => [s.name, s.conclusion]), [['Run vmactions/omnios-vm@v1: prepare', 'success'], ['Run vmactions/omnios-vm@v1: run', 'success']]);
      const snaps = await prepared();
      assert.is(snaps.length, 1, 'one prepared snapshot');
      const key = JSON.parse(w.runs()[0]!.plan_json).jobs[0].vmactions.cacheAfterPrepare.key as string;
      assert.is(snaps[0], `${h.pool.parent}/prepared/omnios/${key}@prepared`);
      await nothingLeft(h);

      w.repo.write('README', 'another commit, the same prepare\n');
      const second = await runJob(2);
      assert.match(second.log, `cache-after-prepare: starting from the snapshot taken after prepare (${LABEL}, ${key})`);
      assert.not.match(second.log, 'prepare-ran');
      assert.match(second.log, 'run-ran');
      assert.equal(second.steps.map((s) => [s.name, s.conclusion]), [['Run vmactions/omnios-vm@v1: prepare', 'skipped'], ['Run vmactions/omnios-vm@v1: run', 'success']]);
      assert.equal(await prepared(), snaps, 'the hit keeps no new snapshot');
      await nothingLeft(h);

      w.repo.write('.github/workflows/illumos.yml', workflow('echo prepare-ran-v2'));
      const third = await runJob(3);
      assert.match(third.log, 'prepare-ran-v2');
      assert.is((await prepared()).length, 2, 'a changed prepare script is a new key');
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

test.run();
