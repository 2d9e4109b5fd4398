// `npm run bench -- vmactions [--runs 3]`: wall time of a vmactions-style job (a `prepare` that does
// work, here 3 s of it standing in for `pkg install`, and a trivial `run`) on the illumos simulator
// with runtime-bhyve and storage-zfs on zfs-fuse, through `helios serve`:
//   firstRunMs   — the job's first run (its prepare runs; with cache-after-prepare the machine is
//                  snapshotted after it): job provisioning → finished, the baseline;
//   cacheHitMs   — later runs of the same job (cache-after-prepare: they start from the snapshot and
//                  skip prepare), median over --runs pushes;
//   prepareSkipped — whether the later runs reported their prepare step skipped.
// Each run starts after the previous zone is torn down (the snapshot becomes usable then).
// Prints one JSON line. The simulator's "VM" is a process: the figures are Helios's orchestration
// and ZFS cost on this machine, not bhyve's boot. Needs root and zfs-fuse.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const simDist = join(here, '../plugins/runtime-bhyve/dist/test');
const { simMissing, withSimHost, LABEL } = await import(join(simDist, 'simWorld.js'));
const { World, final } = await import(join(simDist, 'serveWorld.js'));
const missing = simMissing();
if (missing) {
  console.error(`vmactions bench: ${missing}`);
  process.exit(2);
}
const deadline = setTimeout(() => {
  console.error('vmactions bench: over 15 minutes; giving up');
  process.exit(1);
}, 15 * 60_000);
const log = (m) => process.stderr.write(`${m}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round((s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2) : null;
};
const workflow = `name: omnios
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
            sleep 3
            echo prepared
          run: echo ran
`;

const result = await withSimHost(async (h) => {
  const w = new World(h, { top: `vmactions: { omnios: { r151054: ${LABEL} } }\n` });
  try {
    w.repo.write('.github/workflows/omnios.yml', workflow);
    w.start();
    const times = [];
    const skipped = [];
    for (let i = 0; i <= RUNS; i++) {
      w.repo.write('README', `run ${i}\n`);
      const sha = w.repo.commit();
      const before = w.jobs().length;
      if ((await w.push(sha)).status !== 202) throw new Error('push refused');
      let job;
      for (const until = Date.now() + 180_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
        job = w.jobs()[before];
        if (job && final(job.state)) break;
      }
      if (!job || job.state !== 'succeeded') throw new Error(`run ${i}: ${job?.state} ${job?.reason}\n${job ? w.log(job.id).map((l) => l.text).join('\n') : ''}`);
      const row = w.jobTimes(job.id);
      times.push(row.finished_at - row.provisioning_at);
      skipped.push(w.steps(job.id).find((s) => s.name.endsWith(': prepare'))?.conclusion === 'skipped');
      log(`run ${i}: ${times.at(-1)} ms, prepare ${skipped.at(-1) ? 'skipped' : 'ran'}`);
      // The prepared image is kept when the first run's zone is torn down, after its result is stored.
      for (const until = Date.now() + 60_000; Date.now() < until && (await h.leftovers()).length; ) await new Promise((r) => setTimeout(r, 100));
    }
    return { firstRunMs: times[0], cacheHitMs: median(times.slice(1)), prepareSkipped: skipped.slice(1).every(Boolean) };
  } finally {
    await w.cleanup();
  }
});
clearTimeout(deadline);
console.log(JSON.stringify({ bench: 'vmactions', runtime: 'runtime-bhyve on illumos-sim + storage-zfs (zfs-fuse)', prepareWorkMs: 3000, runs: RUNS, ...result, speedup: result.cacheHitMs ? Math.round((result.firstRunMs / result.cacheHitMs) * 100) / 100 : null }));
