// The key test on REAL zfs-fuse: the second run of a job finds target/ from the first,
// mounted from a clone of the branch's warm head (`zfs get origin`), and a pull request does not
// write the head. Kernel, runtime-local, agents and git are real (WarmWorld); the storage is the
// storage-zfs plugin on a file-backed pool made by its own test helper.
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StorageToken, type Plugin } from '@helios-ci/sdk';
import { REPO_ROOT } from '../helpers/tempProject.js';
import { WarmWorld } from '../helpers/warmWorld.js';

interface ZfsPool {
  parent: string;
  zfs(...args: string[]): Promise<string>;
}
interface ZfsPoolHelper {
  withZfsPool<T>(fn: (pool: ZfsPool) => Promise<T>): Promise<T>;
  zfsTest<T>(test: T): T;
}

// storage-zfs is not a dependency of core: its plugin and pool helper are loaded from the workspace.
const storageZfs = ((await import(join(REPO_ROOT, 'plugins/storage-zfs/dist/src/index.js'))) as { default: Plugin }).default;
const pools = (await import(join(REPO_ROOT, 'plugins/storage-zfs/dist/test/zfsPool.js'))) as ZfsPoolHelper;

const WORKFLOW = `name: CI
on: [push, pull_request]
jobs:
  build:
    runs-on: local
    steps:
      - run: |
          if [ -f target/x ]; then echo "found target/x=$(cat target/x)"; else echo "no target/x"; fi
          volume="$(dirname "$(readlink target)")"
          dataset="$(zfs list -H -o name,mountpoint | awk -v m="$volume" '$2 == m { print $1 }')"
          echo "warm dataset $dataset origin $(zfs get -H -o value origin "$dataset")"
          mkdir -p target/release
          echo "\${{ github.run_id }}" > target/x
          head -c 1048576 /dev/urandom > target/release/app.bin
`;

const test = pools.zfsTest(suite('warm paths on zfs-fuse'));

test('the second run of a job on zfs-fuse finds target/ from the first, mounted from a clone; a PR does not write the head', () =>
  pools.withZfsPool(async ({ parent, zfs }) => {
    // Unsandboxed: the job asks the host's zfs (its daemon's socket is under /run, which a sandbox hides) where its warm volume came from.
    const world = new WarmWorld({ storage: { use: storageZfs, config: { parent } }, warmPaths: ['target'], sandbox: 'off' });
    try {
      world.repo.write('.github/workflows/ci.yml', WORKFLOW);
      await world.start();

      const first = await world.push(world.repo.commit('one'), 'main');
      const one = world.job(first);
      assert.is(one.state, 'succeeded', one.log);
      assert.match(one.log, /no target\/x/);
      // A fresh warm volume is a plain dataset, no clone.
      assert.match(one.log, new RegExp(`warm dataset ${parent}/jobs/\\S+-warm origin -`));
      const head = world.store.warmHeads.list()[0]!;
      assert.is(head.ref, 'refs/heads/main');
      assert.match(head.headId, /^warm\//);

      const second = await world.push(world.repo.commit('two'), 'main');
      const two = world.job(second);
      assert.is(two.state, 'succeeded', two.log);
      assert.ok(two.log.includes(`from head ${head.headId} (refs/heads/main`), two.log);
      assert.ok(two.log.includes(`found target/x=${first.id}`), two.log);
      // The job's warm dataset was a clone of the head's snapshot: zfs says so from inside the job.
      const origin = /warm dataset (\S+) origin (\S+)/.exec(two.log);
      assert.ok(origin, two.log);
      assert.is(origin![1], `${parent}/jobs/${two.id}-warm`);
      assert.ok(origin![2]!.startsWith(`${parent}/${head.headId}@`), `origin ${origin![2]} is not a snapshot of ${head.headId}`);
      const newHead = world.store.warmHeads.list()[0]!;
      assert.is.not(newHead.headId, head.headId);
      assert.equal((await world.kernel.resolve(StorageToken).list()).filter((r) => r.kind === 'warm-head').map((r) => r.id), [newHead.headId]);

      world.repo.git('checkout', '-q', '-b', 'topic');
      const pr = await world.pullRequest(world.repo.commit('pr'), 'main', 'topic');
      const prJob = world.job(pr);
      assert.is(prJob.state, 'succeeded', prJob.log);
      assert.ok(prJob.log.includes(`found target/x=${second.id}`), prJob.log);
      assert.match(prJob.log, /not kept \(a pull request never writes a branch head\)/);
      assert.equal(world.store.warmHeads.list().map((h) => [h.ref, h.headId]), [['refs/heads/main', newHead.headId]]);
      // Nothing of any job is left under jobs/: every volume was committed or released.
      const jobs = (await zfs('list', '-H', '-o', 'name', '-r', `${parent}/jobs`).catch(() => '')).split('\n').filter((n) => n && n !== `${parent}/jobs`);
      assert.equal(jobs, []);
    } finally {
      await world.cleanup();
    }
  }),
);

test.run();
