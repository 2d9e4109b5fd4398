/**
 * Caches and artifacts through `helios run` on the embedded defaults (storage-dir), with the real
 * agent: a miss, then an exact hit in the next run, a restore-key hit after the key changes;
 * artifacts extracted to ./.helios/artifacts; `helios cache list|prune --local` on what the runs kept.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { runHelios } from '../helpers/runCliCapture.js';

const CI = `on: push
jobs:
  a:
    runs-on: local
    steps:
      - uses: actions/checkout@v4
      - id: c
        uses: actions/cache@v4
        with:
          path: cached
          key: deps-\${{ hashFiles('input.txt') }}
          restore-keys: deps-
      - run: echo "hit=[\${{ steps.c.outputs.cache-hit }}] had=[$(cat cached/f 2>/dev/null)]"; mkdir -p cached && cat input.txt > cached/f
      - uses: actions/upload-artifact@v4
        with:
          name: out
          path: cached/f
`;

test('helios run: cache miss, exact hit, restore-key hit; artifacts extracted; cache list/prune --local', async () => {
  const repo = new GitRepo();
  try {
    repo.write('.gitignore', '.helios/\n').write('input.txt', 'one\n').write('.github/workflows/ci.yml', CI).commit('ci');
    const first = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /hit=\[\] had=\[\]/);
    assert.match(first.stdout, /Cache saved with key: deps-/);
    const where = /helios run: artifact out \(1 file\) → (\.helios\/artifacts\/[^/]+\/out)/.exec(first.stdout);
    assert.ok(where, first.stdout);
    assert.is(readFileSync(join(repo.dir, where![1]!, 'f'), 'utf8'), 'one\n');

    const second = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(second.code, 0, second.stderr);
    assert.match(second.stdout, /hit=\[true\] had=\[one\]/);

    repo.write('input.txt', 'two\n').commit('two');
    const third = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.is(third.code, 0, third.stderr);
    assert.match(third.stdout, /hit=\[false\] had=\[one\]/, 'restored by the restore key');
    assert.is(readdirSync(join(repo.dir, '.helios/artifacts')).length, 3);

    const list = await runHelios(['cache', 'list', '--local', '--json'], { cwd: repo.dir });
    assert.is(list.code, 0, list.stderr);
    const entries = JSON.parse(list.stdout) as { repo: string; scope: string; key: string }[];
    assert.is(entries.length, 2);
    for (const e of entries) assert.match(e.key, /^deps-[0-9a-f]{64}$/);
    const pruned = await runHelios(['cache', 'prune', '--local', '--all'], { cwd: repo.dir });
    assert.match(pruned.stdout, /^removed 2 cache entries/);
    const blobs = join(repo.dir, '.helios/storage/blobs/cache');
    assert.ok(!existsSync(blobs) || readdirSync(blobs).length === 0, 'the bytes went too');

    const fourth = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 120_000 });
    assert.match(fourth.stdout, /hit=\[\] had=\[\]/, 'pruned: a miss again');
    assert.is(repo.git('status', '--porcelain'), '');
  } finally {
    repo.cleanup();
  }
});

test.run();
