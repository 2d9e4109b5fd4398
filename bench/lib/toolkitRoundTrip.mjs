// The cache bench's toolkit round trip: the real @actions/cache (v2 Twirp, what toolkit actions
// such as Swatinem/rust-cache call) saving and restoring a directory through Helios's actions
// runtime service over a storage-dir Storage. Times are the toolkit calls inside the step process
// (tar + compression + transfer + index), not the process start.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirStorage } from '../../plugins/storage-dir/dist/src/index.js';
import { Store } from '../../core/dist/src/store/index.js';
import { BlobServices } from '../../core/dist/src/blobs/blobServices.js';
import { ActionsRuntimeService } from '../../core/dist/src/actions-runtime/index.js';
import { jobPlan, REPO, runPlan } from '../../core/dist/test/helpers/storeFixtures.js';

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), '../../core/test/fixtures/actions-toolkit/client.mjs');
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** Saves `source` (a directory) as a cache entry and restores it elsewhere; { saveMs, restoreMs }. */
export async function toolkitRoundTrip(work, source, label) {
  const root = join(work, `toolkit-${label}`);
  mkdirSync(root, { recursive: true });
  const store = Store.open({ path: join(root, 'helios.db') });
  const storage = new DirStorage({ id: 'bench-toolkit', root: join(root, 'storage') });
  const big = 64 * 1024 ** 3;
  const blobs = new BlobServices({
    store,
    storage,
    logger: silent,
    settings: { caches: { maxEntryBytes: big, maxBytesPerRepository: big, maxIdleDays: 7 }, artifacts: { maxBytes: big, retentionDays: 1, maxRetentionDays: 1 }, defaultBranch: 'main', housekeepingIntervalMs: 3_600_000 },
  });
  const service = new ActionsRuntimeService({ store, blobs, defaultBranch: 'main', maxCacheEntryBytes: big, maxArtifactBytes: big, logger: silent, stagingParent: join(root, 'tmp') });
  await service.start();
  try {
    const { run, jobs } = store.runs.create({ forge: 'github', repo: REPO, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan([jobPlan('bench')]) });
    store.jobs.transition(jobs[0].id, 'provisioning');
    store.jobs.transition(jobs[0].id, 'running');
    const a = service.accessFor(run.id, jobs[0].id);
    const restoreDir = join(root, 'restore');
    mkdirSync(restoreDir);
    const calls = [
      { op: 'save', args: { paths: [source.split('/').pop()], key: `bench-${label}` }, cwd: dirname(source) },
      { op: 'restore', args: { paths: [source.split('/').pop()], key: `bench-${label}` }, cwd: restoreDir },
    ];
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, RUNNER_TEMP: join(root, 'runner-temp'), ACTIONS_RESULTS_URL: a.resultsUrl, ACTIONS_CACHE_URL: a.cacheUrl, ACTIONS_RUNTIME_TOKEN: a.token, ACTIONS_CACHE_SERVICE_V2: 'True' };
    const out = await new Promise((resolve, reject) =>
      execFile(process.execPath, [CLIENT, JSON.stringify(calls)], { env, maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))),
    );
    const time = (i) => Number(/^TIME (\d+) (\d+)$/m.exec(out.split('\n').filter((l) => l.startsWith(`TIME ${i} `)).join('\n'))?.[2]);
    if (!out.includes(`RESULT 1 {"key":"bench-${label}"}`)) throw new Error(`toolkit round trip failed:\n${out.slice(-2000)}`);
    if (readdirSync(join(restoreDir, source.split('/').pop())).length !== readdirSync(source).length) throw new Error('toolkit restore lost files');
    return { saveMs: time(0), restoreMs: time(1) };
  } finally {
    await service.stop();
    store.close();
    rmSync(root, { recursive: true, force: true });
  }
}
