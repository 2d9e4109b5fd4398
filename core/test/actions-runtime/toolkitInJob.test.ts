/**
 * The toolkit in real jobs: `helios run` (runtime-local, the real agent) with `run:` steps calling
 * @actions/cache and @actions/artifact through the env the agent gives every step. Job a saves a
 * cache and uploads an artifact; job b (needs a) restores by restore key, downloads and lists.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitRepo } from '../helpers/gitRepo.js';
import { runHelios } from '../helpers/runCliCapture.js';
import { REPO_ROOT } from '../helpers/tempProject.js';

const CLIENT = join(REPO_ROOT, 'core/test/fixtures/actions-toolkit/client.mjs');
// The client goes into the repository as one bundled file, as a toolkit action ships: the job may
// run in a sandbox that does not show the checkout of Helios (under /tmp or /home, say).
const BUNDLE = 'toolkit-client.mjs';
const calls = (list: unknown[]) => `node ${BUNDLE} '${JSON.stringify(list)}'`;

async function bundleClient(outfile: string): Promise<void> {
  await build({
    entryPoints: [CLIENT],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'error',
    // The toolkit's CommonJS parts call require(); an ES module bundle needs one made for it.
    banner: { js: "import { createRequire as heliosCreateRequire } from 'node:module'; const require = heliosCreateRequire(import.meta.url);" },
  });
}

const CI = `on: push
jobs:
  a:
    runs-on: local
    steps:
      - run: mkdir -p deps out && echo cached-bytes > deps/f && echo built > out/r.txt
      - run: ${calls([{ op: 'save', args: { paths: ['deps'], key: 'tk-1' } }, { op: 'upload', args: { name: 'tk-out', files: ['out/r.txt'], root: 'out' } }])}
  b:
    needs: a
    runs-on: local
    steps:
      - run: test -n "$ACTIONS_RUNTIME_TOKEN" && echo "token=[$ACTIONS_RUNTIME_TOKEN]"
      - run: ${calls([{ op: 'restore', args: { paths: ['deps'], key: 'tk-2', restoreKeys: ['tk-'] } }, { op: 'download', args: { name: 'tk-out', path: 'got' } }, { op: 'list' }])}
      - run: echo "restored=[$(cat deps/f)] downloaded=[$(cat got/r.txt)]"
`;

test('helios run: a run: step saves a cache and uploads an artifact with the toolkit; the next job restores and downloads them', async () => {
  const repo = new GitRepo();
  try {
    await bundleClient(join(repo.dir, BUNDLE));
    repo.write('.gitignore', '.helios/\n').write('.github/workflows/ci.yml', CI).commit('ci');
    const r = await runHelios(['run'], { cwd: repo.dir, timeoutMs: 180_000 });
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /RESULT 0 \{"id":\d+\}/);
    assert.match(r.stdout, /RESULT 1 \{"size":\d+,"digest":"[0-9a-f]{64}","id":\d+\}/);
    assert.match(r.stdout, /RESULT 0 \{"key":"tk-1"\}/);
    assert.match(r.stdout, /RESULT 2 \{"artifacts":\[\{"name":"tk-out"/);
    assert.match(r.stdout, /restored=\[cached-bytes\] downloaded=\[built\]/);
    // The token is masked in the log.
    assert.match(r.stdout, /token=\[\*\*\*\]/);
    assert.not.match(r.stdout, /FAILED \d/);
    // The toolkit's upload is an ordinary artifact: helios run extracts it like a native one.
    const runs = readdirSync(join(repo.dir, '.helios/artifacts'));
    assert.is(readFileSync(join(repo.dir, '.helios/artifacts', runs[0]!, 'tk-out/r.txt'), 'utf8'), 'built\n');
  } finally {
    repo.cleanup();
  }
});

test.run();
