/**
 * Artifacts and the post-step save through a real `helios serve`: a matrix of producers hands its
 * artifacts to a consumer job (`download-artifact` by pattern with merge-multiple, and by name), the
 * API serves each as a zip with the producer's exact bytes; a failing job saves no cache.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { startServe, waitFor } from '../helpers/serveProcess.js';
import { Deployment } from './deployment.js';

const WORKFLOW = `on: push
jobs:
  produce:
    strategy:
      matrix:
        n: [1, 2, 3]
    runs-on: local
    steps:
      - run: |
          mkdir -p out
          printf 'producer %s\\n' "\${{ matrix.n }}" > out/n\${{ matrix.n }}.txt
          head -c 70000 /dev/urandom > out/blob\${{ matrix.n }}.bin
          (cd out && sha256sum * | sed 's/^/made /')
      - uses: actions/upload-artifact@v4
        with:
          name: out-\${{ matrix.n }}
          path: out/
  consume:
    needs: produce
    runs-on: local
    steps:
      - uses: actions/download-artifact@v4
        with:
          pattern: out-*
          merge-multiple: true
          path: all
      - uses: actions/download-artifact@v4
        with:
          name: out-2
          path: two
      - run: |
          (cd all && sha256sum * | sed 's/^/merged /')
          (cd two && sha256sum * | sed 's/^/named /')
  failing:
    runs-on: local
    steps:
      - uses: actions/cache@v4
        with:
          path: data
          key: failing-key
      - run: mkdir -p data && echo x > data/f && exit 1
`;

/** `<prefix> <sha256>  <file>` lines of a log → file → sha256. */
function sums(log: string[], prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of log) {
    const m = new RegExp(`^${prefix} ([0-9a-f]{64})  (\\S+)$`).exec(line);
    if (m) out[m[2]!] = m[1]!;
  }
  return out;
}

test('matrix producers → consumer by pattern (merge-multiple) and by name; zips over the API byte for byte; a failing job saves nothing', async () => {
  const repo = new GitRepo();
  repo.write('.github/workflows/ci.yml', WORKFLOW);
  const sha = repo.commit();
  const d = new Deployment(repo);
  const serve = startServe(d.dir);
  const unzipped = mkdtempSync(join(tmpdir(), 'helios-artifact-zip-'));
  try {
    const url = await serve.url;
    assert.is((await d.push(url, sha)).status, 202);
    const jobs = await waitFor('all five jobs to finish', () => {
      const all = d.jobs();
      return all.length === 5 && all.every((j) => !['queued', 'provisioning', 'running'].includes(j.state)) && all;
    }, 180_000);
    const producers = jobs.filter((j) => j.name.startsWith('produce'));
    const consumer = jobs.find((j) => j.name === 'consume')!;
    const failing = jobs.find((j) => j.name === 'failing')!;
    for (const j of [...producers, consumer]) assert.is(j.state, 'succeeded', `${j.name}: ${d.log(j.id).join('\n')}`);

    const made: Record<string, string> = {};
    for (const p of producers) Object.assign(made, sums(d.log(p.id), 'made'));
    assert.equal(Object.keys(made).sort(), ['blob1.bin', 'blob2.bin', 'blob3.bin', 'n1.txt', 'n2.txt', 'n3.txt']);
    const log = d.log(consumer.id);
    assert.equal(sums(log, 'merged'), made, 'pattern + merge-multiple: every file of every producer, same bytes');
    assert.equal(sums(log, 'named'), { 'blob2.bin': made['blob2.bin'], 'n2.txt': made['n2.txt'] }, 'by name: that artifact only');

    const runId = consumer.run_id;
    const listed = (await (await fetch(`${url}/api/runs/${runId}/artifacts`)).json()) as { artifacts: { name: string; url: string }[] };
    assert.equal(listed.artifacts.map((a) => a.name).sort(), ['out-1', 'out-2', 'out-3']);
    for (const n of [1, 2, 3]) {
      const res = await fetch(`${url}/api/runs/${runId}/artifacts/out-${n}/zip`);
      assert.is(res.status, 200);
      assert.is(res.headers.get('content-type'), 'application/zip');
      const zip = join(unzipped, `out-${n}.zip`);
      writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
      const into = join(unzipped, `out-${n}`);
      execFileSync('unzip', ['-q', zip, '-d', into]);
      assert.equal(readdirSync(into).sort(), [`blob${n}.bin`, `n${n}.txt`]);
      for (const file of readdirSync(into)) {
        assert.is(createHash('sha256').update(readFileSync(join(into, file))).digest('hex'), made[file], `${file} from the zip`);
      }
      assert.is(readFileSync(join(into, `n${n}.txt`), 'utf8'), `producer ${n}\n`);
    }

    // The failing job: its cache's post step is skipped and nothing is saved.
    assert.is(failing.state, 'failed');
    const steps = d.query<{ name: string; state: string; conclusion: string | null }>('SELECT name, state, conclusion FROM steps WHERE job_id = ? ORDER BY idx', failing.id);
    const post = steps.find((s) => s.name.startsWith('Post '));
    assert.ok(post, JSON.stringify(steps));
    assert.is(post!.conclusion, 'skipped', JSON.stringify(steps));
    assert.equal(d.query('SELECT key FROM cache_entries'), [], 'no cache entry');
    assert.not.ok(d.log(failing.id).some((l) => /Cache saved/.test(l)));
  } finally {
    await serve.stop();
    rmSync(unzipped, { recursive: true, force: true });
    d.cleanup();
    repo.cleanup();
  }
});

test.run();
