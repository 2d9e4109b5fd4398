/**
 * Nasty cache input through a real `helios serve` (recording forge, local runtime, storage-dir):
 * keys with `/` and `..`, a 600-character key, an empty directory, a 2 GiB (sparse) file, and an
 * upload cut off by killing the agent mid-stream.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const LONG_KEY = 'k'.repeat(600);
const GIB = 1024 * 1024 * 1024;

/** Each job restores, prints what it found, and fills the path on a miss (saved by the post step). */
const WORKFLOW = `on: push
jobs:
  odd-keys:
    runs-on: local
    steps:
      - id: c
        uses: actions/cache@v4
        with:
          path: odd
          key: ../a/b/../../c..d/
      - run: |
          echo "result hit=[\${{ steps.c.outputs.cache-hit }}] had=[$(cat odd/f 2>/dev/null)]"
          mkdir -p odd && echo odd > odd/f
  empty:
    runs-on: local
    steps:
      - id: c
        uses: actions/cache@v4
        with:
          path: empty
          key: empty-dir
      - run: |
          echo "result hit=[\${{ steps.c.outputs.cache-hit }}] dir=[$(test -d empty && echo yes)] files=[$(ls -A empty 2>/dev/null | wc -l)]"
          mkdir -p empty
  long-key:
    runs-on: local
    steps:
      - uses: actions/cache@v4
        with:
          path: x
          key: ${LONG_KEY}
  big:
    runs-on: local
    steps:
      - id: c
        uses: actions/cache@v4
        with:
          path: big
          key: two-gib
      - run: |
          if [ "\${{ steps.c.outputs.cache-hit }}" != true ]; then
            mkdir -p big && truncate -s 2G big/zero.bin
            head -c 1048576 /dev/urandom | dd of=big/zero.bin bs=1M seek=1024 conv=notrunc status=none
          fi
          echo "result hit=[\${{ steps.c.outputs.cache-hit }}] size=[$(stat -c %s big/zero.bin)] sample=[$(dd if=big/zero.bin bs=1M skip=1024 count=1 status=none | sha256sum | cut -c1-64)] tail=[$(tail -c 4096 big/zero.bin | tr -d '\\0' | wc -c)]"
`;

const finished = (j: { state: string }) => !['queued', 'provisioning', 'running'].includes(j.state);

function peakRssBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

test('keys with / and .., a 600-character key, an empty directory and a 2 GiB file, over two pushes', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/bad.yml', WORKFLOW);
  const sha = repo.commit();
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  try {
    const url = await serve.url;
    const runOnce = async (n: number) => {
      await d.push(url, sha);
      return waitFor(`push ${n}'s jobs to finish`, () => {
        const all = d.jobs().slice((n - 1) * 4);
        return all.length === 4 && all.every(finished) && all;
      }, 300_000);
    };
    const result = (jobs: { id: string; name: string; state: string }[], name: string) => {
      const job = jobs.find((j) => j.name === name)!;
      const log = d.log(job.id);
      assert.is(job.state, 'succeeded', `${name}: ${log.join('\n')}`);
      return log.find((l) => l.startsWith('result ')) ?? log.join('\n');
    };
    const rssBefore = peakRssBytes(serve.child.pid!);
    const first = await runOnce(1);
    assert.is(result(first, 'odd-keys'), 'result hit=[] had=[]');
    assert.is(result(first, 'empty'), 'result hit=[] dir=[] files=[0]');
    const firstBig = result(first, 'big');
    assert.match(firstBig, /^result hit=\[\] size=\[2147483648\] sample=\[[0-9a-f]{64}\] tail=\[0\]$/);

    // GitHub's words for an over-long key, and the step (so the job) fails.
    const long = first.find((j) => j.name === 'long-key')!;
    assert.is(long.state, 'failed');
    assert.ok(d.log(long.id).some((l) => l.includes(`Key Validation Error: ${LONG_KEY} cannot be larger than 512 characters.`)), d.log(long.id).join('\n'));

    const keys = await waitFor('three entries', () => {
      const rows = d.query<{ key: string; size: number }>('SELECT key, size FROM cache_entries ORDER BY key');
      return rows.length === 3 && rows;
    });
    assert.equal(keys.map((r) => r.key), ['../a/b/../../c..d/', 'empty-dir', 'two-gib']);
    // The key is only ever a value: nothing outside the storage root was named after it.
    const root = join(d.dir, 'data/plugins/storage/storage');
    for (const f of readdirSync(join(root, 'blobs/cache'), { recursive: true }) as string[]) assert.not.match(f, /c\.\.d|\.\.\//);

    const second = await runOnce(2);
    assert.is(result(second, 'odd-keys'), 'result hit=[true] had=[odd]');
    assert.is(result(second, 'empty'), 'result hit=[true] dir=[yes] files=[0]');
    const sample = /sample=\[([0-9a-f]{64})\]/.exec(firstBig)![1];
    assert.is(result(second, 'big'), `result hit=[true] size=[2147483648] sample=[${sample}] tail=[0]`);
    // 2 GiB went through the server twice; its peak memory must not have grown by anything near that.
    const grown = peakRssBytes(serve.child.pid!) - rssBefore;
    assert.ok(grown < 256 * 1024 * 1024, `helios serve's peak RSS grew by ${grown} bytes`);
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

const SAVE_BIG = `on: push
jobs:
  cut:
    runs-on: local
    steps:
      - run: mkdir -p cutdir && head -c 314572800 /dev/urandom > cutdir/r.bin
      - uses: actions/cache/save@v4
        with:
          path: cutdir
          key: cut-key
`;
const RESTORE = `on: push
jobs:
  cut:
    runs-on: local
    steps:
      - id: c
        uses: actions/cache/restore@v4
        with:
          path: cutdir
          key: cut-key
      - run: echo "result hit=[\${{ steps.c.outputs.cache-hit }}] files=[$(ls cutdir 2>/dev/null | wc -l)]"
`;

function uploadBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, f), { throwIfNoEntry: false });
    if (s?.isFile()) total += s.size;
  }
  return total;
}

test('an upload cut off mid-stream (agent killed): nothing is committed, the next run misses', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/cut.yml', SAVE_BIG);
  const saveSha = repo.commit('save');
  repo.write('.github/workflows/cut.yml', RESTORE);
  const restoreSha = repo.commit('restore');
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  const uploads = join(d.dir, 'data/plugins/storage/storage/uploads');
  try {
    const url = await serve.url;
    await d.push(url, saveSha);
    await waitFor('the upload to be streaming into storage', () => uploadBytes(uploads) > 0, 120_000);
    // hl-<hex> machine directories; `_tool` is the host's shared tool cache.
    const machines = readdirSync(join(d.dir, 'machines')).filter((e) => e.startsWith('hl-'));
    assert.is(machines.length, 1);
    const agent = JSON.parse(d.read(`machines/${machines[0]}/machine.json`)).pid as number;
    process.kill(agent, 'SIGKILL');
    // The service learns of a dead agent from its missing heartbeats (60 s in helios serve).
    const job = await waitFor('the job to end', () => d.jobs().find(finished), 180_000);
    assert.ok(['failed', 'errored'].includes(job.state), job.state);
    assert.equal(d.query('SELECT key FROM cache_entries'), [], 'nothing committed to the index');
    await waitFor('the half upload to be gone', () => uploadBytes(uploads) === 0, 30_000);
    const blobs = join(d.dir, 'data/plugins/storage/storage/blobs/cache');
    assert.is(uploadBytes(blobs), 0, 'no blob kept');

    await d.push(url, restoreSha);
    const next = await waitFor('the restore run', () => d.jobs()[1] && finished(d.jobs()[1]!) && d.jobs()[1]);
    assert.is(next.state, 'succeeded', d.log(next.id).join('\n'));
    assert.ok(d.log(next.id).includes('result hit=[] files=[0]'), d.log(next.id).join('\n'));
  } finally {
    await serve.stop();
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
