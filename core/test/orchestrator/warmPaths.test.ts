// Warm paths end to end (issue 11) on storage-dir (the embedded default storage): a real kernel with
// runtime-local (warmPaths), real agents and git. Which head a job starts from, and when its volume
// becomes the branch's new head.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StorageToken, type Storage } from '@helios-ci/sdk';
import storageDir from '@helios-ci/storage-dir';
import { WarmWorld } from '../helpers/warmWorld.js';

const WORKFLOW = `name: CI
on: [push, pull_request]
jobs:
  build:
    runs-on: local
    steps:
      - run: |
          if [ -f target/x ]; then echo "found target/x=$(cat target/x)"; else echo "no target/x"; fi
          if [ -f ~/.cache/warm-test/y ]; then echo "found home y=$(cat ~/.cache/warm-test/y)"; fi
          echo "target links to $(readlink target)"
          mkdir -p target/deep/er ~/.cache/warm-test
          echo "\${{ github.run_id }}" > target/x
          echo "\${{ github.run_id }}" > ~/.cache/warm-test/y
          test ! -f fail
`;

/** What a job found in its warm paths: the run id the previous head's job wrote, or null. */
function found(log: string): string | null {
  return /found target\/x=(\S+)/.exec(log)?.[1] ?? null;
}

const STORAGE_DIR = { use: storageDir, config: { path: 'storage' } };

const dir = suite('warm paths on storage-dir');
let world: WarmWorld;
let storage: Storage;

dir.before(async () => {
  world = new WarmWorld({ storage: STORAGE_DIR, warmPaths: ['target', '~/.cache/warm-test'] });
  world.repo.write('.github/workflows/ci.yml', WORKFLOW);
  await world.start();
  storage = world.kernel.resolve(StorageToken);
});
dir.after(() => world.cleanup());

const heads = () => world.store.warmHeads.list().map((h) => [h.ref, h.headId] as const);
const storedHeads = async () => (await storage.list()).filter((r) => r.kind === 'warm-head').map((r) => r.id).sort();
const headOf = (ref: string) => world.store.warmHeads.list().find((h) => h.ref === ref)?.headId ?? null;

let firstMainRun = '';

dir('the first push of a job starts empty and its volume becomes the branch head', async () => {
  const run = await world.push(world.repo.commit('one'), 'main');
  const job = world.job(run);
  assert.is(job.state, 'succeeded', job.log);
  assert.match(job.log, /warm paths: target, ~\/\.cache\/warm-test start empty \(no head for this job on refs\/heads\/main/);
  assert.match(job.log, /no target\/x/);
  assert.match(job.log, /warm paths: target -> \S+\/0 \(symbolic link\)/);
  assert.match(job.log, /warm paths: ~\/\.cache\/warm-test -> \S+\/1 \(symbolic link\)/);
  assert.match(job.log, /warm paths: kept as head \S+ for refs\/heads\/main/);
  assert.equal(heads().map(([ref]) => ref), ['refs/heads/main']);
  assert.equal(await storedHeads(), [headOf('refs/heads/main')]);
  firstMainRun = run.id;
});

dir('the second push of the same job on the same branch finds target/x, from a clone of the head', async () => {
  const before = headOf('refs/heads/main')!;
  const run = await world.push(world.repo.commit('two'), 'main');
  const job = world.job(run);
  assert.is(job.state, 'succeeded', job.log);
  assert.ok(job.log.includes(`from head ${before} (refs/heads/main`), job.log);
  assert.is(found(job.log), firstMainRun);
  assert.match(job.log, new RegExp(`found home y=${firstMainRun}`));
  const after = headOf('refs/heads/main')!;
  assert.is.not(after, before);
  assert.ok(job.log.includes(`kept as head ${after} for refs/heads/main (replaces ${before})`), job.log);
  // The replaced head is gone from the storage; no volume is left over.
  assert.equal((await storage.list()).map((r) => r.id), [after]);
});

dir('a push to another branch starts from the default branch head and writes its own', async () => {
  const mainHead = headOf('refs/heads/main')!;
  const mainRun = world.store.warmHeads.list().find((h) => h.ref === 'refs/heads/main')!.jobId;
  world.repo.git('checkout', '-q', '-b', 'feature');
  const run = await world.push(world.repo.commit('feature work'), 'feature');
  const job = world.job(run);
  assert.is(job.state, 'succeeded', job.log);
  assert.ok(job.log.includes(`from head ${mainHead} (refs/heads/main`), job.log);
  assert.is(found(job.log), world.store.jobs.require(mainRun).runId);
  assert.is(headOf('refs/heads/main'), mainHead);
  assert.ok(headOf('refs/heads/feature'));
});

dir('a pull request reads its base branch head and never writes a head', async () => {
  const before = heads();
  const stored = await storedHeads();
  const mainRunId = world.store.jobs.require(world.store.warmHeads.list().find((h) => h.ref === 'refs/heads/main')!.jobId).runId;
  world.repo.git('checkout', '-q', '-b', 'topic', 'main');
  const run = await world.pullRequest(world.repo.commit('pr work'), 'main', 'topic');
  const job = world.job(run);
  assert.is(job.state, 'succeeded', job.log);
  assert.is(found(job.log), mainRunId);
  assert.match(job.log, /warm paths: not kept \(a pull request never writes a branch head\); the volume is released/);
  assert.equal(heads(), before);
  assert.equal(await storedHeads(), stored);
  assert.ok((await storage.list()).every((r) => r.kind === 'warm-head'), 'the PR volume was released');
});

dir('a failed job does not commit: the next run finds what the last successful one wrote', async () => {
  world.repo.git('checkout', '-q', 'main');
  const head = headOf('refs/heads/main');
  const lastGood = world.store.jobs.require(world.store.warmHeads.list().find((h) => h.ref === 'refs/heads/main')!.jobId).runId;
  const failed = await world.push(world.repo.write('fail', 'yes\n').commit('breaks'), 'main');
  const job = world.job(failed);
  assert.is(job.state, 'failed', job.log);
  assert.match(job.log, /warm paths: not kept \(the job failed\)/);
  assert.is(headOf('refs/heads/main'), head);
  world.repo.git('rm', '-q', 'fail');
  const next = await world.push(world.repo.commit('fixed'), 'main');
  assert.is(found(world.job(next).log), lastGood);
});

dir('an untrusted run does not commit, even when it succeeds', async () => {
  const head = headOf('refs/heads/main');
  const last = world.store.runs.list({ limit: 100 }).find((r) => r.ref === 'refs/heads/main' && r.conclusion === 'success')!;
  const run = await world.untrusted(last);
  const job = world.job(run);
  assert.is(job.state, 'succeeded', job.log);
  assert.match(job.log, /warm paths: not kept \(the run is untrusted\)/);
  assert.is(headOf('refs/heads/main'), head);
  const next = await world.push(world.repo.commit('after the untrusted run'), 'main');
  assert.is(found(world.job(next).log), last.id);
});

dir('a warm path that exists in the checkout fails the job setup with a clear error and commits nothing', async () => {
  const head = headOf('refs/heads/main');
  const run = await world.push(world.repo.write('target/tracked.txt', 'in git\n').commit('tracks target'), 'main');
  const job = world.job(run);
  assert.is(job.state, 'failed', job.log);
  assert.match(job.log, /warm path target exists in the checkout; a warm path must be something the build creates/);
  assert.is(headOf('refs/heads/main'), head);
  world.repo.git('rm', '-rq', 'target');
  world.repo.commit('untrack target');
});

dir('a symbolic link in the checkout above a warm path is refused, nothing is written through it', async () => {
  const w2 = new WarmWorld({ storage: STORAGE_DIR, warmPaths: ['out/cache'] });
  try {
    const outside = join(w2.dir, 'outside');
    w2.repo.write('.github/workflows/ci.yml', WORKFLOW.replace(/target/g, 'out/cache'));
    mkdirSync(outside);
    symlinkSync(outside, join(w2.repo.dir, 'out'));
    await w2.start();
    const run = await w2.push(w2.repo.commit('out is a link'), 'main');
    const job = w2.job(run);
    assert.is(job.state, 'failed', job.log);
    assert.match(job.log, /warm path out\/cache: \S+\/out is a symbolic link in the checkout/);
    assert.not.ok(existsSync(join(outside, 'cache')), 'nothing was created through the link');
  } finally {
    await w2.cleanup();
  }
});

dir.run();

const crash = suite('warm paths after a crash');

crash('a restart removes leftover warm volumes and orphan heads, and keeps the heads a branch points at', async () => {
  const w = new WarmWorld({ storage: STORAGE_DIR, warmPaths: ['target'] });
  try {
    w.repo.write('.github/workflows/ci.yml', WORKFLOW.replace(/~\/\.cache\/warm-test/g, 'target/home'));
    await w.start();
    const run = await w.push(w.repo.commit('one'), 'main');
    assert.is(w.job(run).state, 'succeeded', w.job(run).log);
    const live = w.store.warmHeads.list()[0]!.headId;
    const s = w.kernel.resolve(StorageToken);
    // What a crash leaves: a volume of a job that was running, and a head committed just before
    // its row was written.
    const leftover = await s.openWarm(live, 'job-that-was-running');
    const orphan = await s.commitWarm(await s.openWarm(null, 'job-that-was-committing'));
    assert.equal((await s.list()).map((r) => r.id).sort(), [leftover.id, live, orphan].sort());
    await w.stop();
    await w.start();
    assert.equal((await w.kernel.resolve(StorageToken).list()).map((r) => r.id), [live]);
    const next = await w.push(w.repo.commit('two'), 'main');
    assert.is(found(w.job(next).log), run.id);
  } finally {
    await w.cleanup();
  }
});

crash.run();
