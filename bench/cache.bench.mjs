// `npm run bench -- cache [--sizes 256,1024]`: restoring a 256 MiB and a 1 GiB cache three ways, in
// one run on one machine:
//   tar      — the data as a .tar.gz made with the `tar` package (what actions/cache streams), extracted
//              into an empty directory;
//   storageDir — the .tar.gz as a cache blob in @helios-ci/storage-dir (the default storage), restored
//              by streaming readBlob into the extractor;
//   toolkit  — the real @actions/cache (v2 Twirp) saving and restoring the same files through the
//              actions runtime service over storage-dir (toolkitSaveMs / toolkitRestoreMs: tar, zstd
//              or gzip, transfer and index, timed inside the step process);
//   zfsClone — storage-zfs warm paths: the data in a warm head (a snapshot), restored by openWarm,
//              i.e. a `zfs clone` — no archive, no copy.
// Prints one JSON line with each restore time (ms; the clone's is the median of 5 rounds) and
// zfsCloneRatio = clone(1 GiB) / clone(256 MiB),
// which should stay near 1 (constant time). Needs root and zfs-fuse (apt-get install -y zfs-fuse);
// makes a sparse file-backed pool under the temp dir and destroys it. Bounded: gives up after 20 min.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { DirStorage } from '../plugins/storage-dir/dist/src/index.js';
import { ZfsStorage } from '../plugins/storage-zfs/dist/src/index.js';
import { toolkitRoundTrip } from './lib/toolkitRoundTrip.mjs';

const MiB = 1024 * 1024;
const FILE = 4 * MiB;
const sizesArg = process.argv.indexOf('--sizes');
const SIZES = (sizesArg > 0 ? process.argv[sizesArg + 1] : '256,1024').split(',').map((s) => Number(s) * MiB);
const CLONE_ROUNDS = 5;
const deadline = setTimeout(() => {
  console.error('cache bench: over 20 minutes; giving up (the pool is destroyed on exit)');
  process.exit(1);
}, 20 * 60_000);

const log = (m) => process.stderr.write(`${m}\n`);
const sbin = (cmd) => ['/usr/sbin', '/sbin'].map((d) => join(d, cmd)).find(existsSync) ?? cmd;
const run = (cmd, args) =>
  new Promise((resolve, reject) =>
    execFile(sbin(cmd), args, { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error(`${cmd} ${args.join(' ')}: ${err || e.message}`)) : resolve(out))),
  );
const ms = (started) => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
const sleep = (n) => new Promise((r) => setTimeout(r, n));

if (process.getuid?.() !== 0 || !existsSync(sbin('zfs-fuse'))) {
  console.error('cache bench: needs root and zfs-fuse (apt-get install -y zfs-fuse)');
  process.exit(2);
}
if (!(await run('zpool', ['list']).then(() => true, () => false))) {
  execFileSync(sbin('zfs-fuse'), ['--pidfile', process.env.HELIOS_ZFS_FUSE_PIDFILE ?? '/run/zfs-fuse.pid']);
  for (let i = 0; i < 100 && !(await run('zpool', ['list']).then(() => true, () => false)); i++) await sleep(100);
}

/** Cache-like content: many 4 MiB files of base64 text (compresses to about 3/4, like build output). */
function fill(dir, bytes) {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i * FILE < bytes; i++) {
    writeFileSync(join(dir, `obj-${String(i).padStart(4, '0')}.rlib`), randomBytes((FILE * 3) / 4).toString('base64'));
  }
}

const work = mkdtempSync(join(tmpdir(), 'helios-bench-cache-'));
const pool = `hbench${process.pid}`;
const poolImage = join(work, 'pool.img');
let poolMade = false;
process.on('exit', () => {
  if (poolMade) {
    try {
      execFileSync(sbin('zpool'), ['destroy', '-f', pool], { stdio: 'ignore' });
    } catch {
      /* reported below if the normal path failed */
    }
  }
  rmSync(work, { recursive: true, force: true });
});

const results = {};
const heads = {};
try {
  writeFileSync(poolImage, '');
  execFileSync('truncate', ['-s', String(Math.max(...SIZES) * 3), poolImage]);
  await run('zpool', ['create', '-m', join(work, 'mnt'), pool, poolImage]);
  poolMade = true;
  const storage = new ZfsStorage({ id: 'bench', parent: `${pool}/ci` });
  await storage.check();

  for (const size of SIZES) {
    const label = `${size / MiB}MiB`;
    const source = join(work, `src-${label}`);
    log(`${label}: writing the cache content`);
    fill(source, size);

    // (a) tar stream: save = create .tar.gz; restore = extract it.
    const archive = join(work, `cache-${label}.tgz`);
    let t = process.hrtime.bigint();
    await tar.create({ gzip: true, file: archive, cwd: source }, readdirSync(source));
    const tarCreateMs = ms(t);
    const dest = join(work, `restore-tar-${label}`);
    mkdirSync(dest);
    t = process.hrtime.bigint();
    await tar.extract({ file: archive, cwd: dest });
    const tarRestoreMs = ms(t);
    if (readdirSync(dest).length !== readdirSync(source).length) throw new Error('tar restore lost files');
    rmSync(dest, { recursive: true });
    log(`${label}: tar create ${tarCreateMs} ms, extract ${tarRestoreMs} ms`);

    // (b) storage-dir: the archive as a cache blob; restore = readBlob streamed into the extractor.
    const dir = new DirStorage({ id: 'bench-dir', root: join(work, `store-${label}`) });
    const blob = await dir.writeBlob('cache', createReadStream(archive), { jobId: 'bench-save', group: 'github/bench/cache' });
    const dest2 = join(work, `restore-blob-${label}`);
    mkdirSync(dest2);
    t = process.hrtime.bigint();
    await pipeline(Readable.from(await dir.readBlob(blob.id)), tar.extract({ cwd: dest2 }));
    const storageDirRestoreMs = ms(t);
    if (readdirSync(dest2).length !== readdirSync(source).length) throw new Error('storage-dir restore lost files');
    rmSync(dest2, { recursive: true });
    await dir.remove({ id: blob.id, kind: 'cache' });
    rmSync(join(work, `store-${label}`), { recursive: true, force: true });
    rmSync(archive);
    log(`${label}: storage-dir readBlob + extract ${storageDirRestoreMs} ms`);

    // (d) the real @actions/cache (v2) through the actions runtime service, over storage-dir.
    const toolkit = await toolkitRoundTrip(work, source, label);
    log(`${label}: @actions/cache v2 save ${toolkit.saveMs} ms, restore ${toolkit.restoreMs} ms`);

    // (c) storage-zfs: a warm head holding the same files (timed below, all sizes interleaved).
    const first = await storage.openWarm(null, `seed-${label}`);
    execFileSync('cp', ['-a', `${source}/.`, first.location]);
    heads[label] = { head: await storage.commitWarm(first), files: readdirSync(source).length, clones: [] };
    rmSync(source, { recursive: true });
    results[label] = { tarCreateMs, tarRestoreMs, storageDirRestoreMs, toolkitSaveMs: toolkit.saveMs, toolkitRestoreMs: toolkit.restoreMs };
  }

  // Restore = openWarm of the head: a `zfs clone` of its snapshot. Sizes take turns, round by round,
  // so load from other processes on the machine falls on both alike; one untimed round first.
  for (let round = -1; round < CLONE_ROUNDS; round++) {
    for (const [label, h] of Object.entries(heads)) {
      const t = process.hrtime.bigint();
      const v = await storage.openWarm(h.head, `job-${label}-${round + 1}`);
      const took = ms(t);
      if (round >= 0) h.clones.push(took);
      if (readdirSync(v.location).length !== h.files) throw new Error('the clone does not hold the cache');
      await storage.release(v);
    }
  }
  for (const [label, h] of Object.entries(heads)) {
    await storage.remove({ id: h.head, kind: 'warm-head' });
    const sorted = [...h.clones].sort((a, b) => a - b);
    results[label].zfsCloneMs = sorted[Math.floor(sorted.length / 2)];
    log(`${label}: zfs clone ${h.clones.join(', ')} ms (median ${results[label].zfsCloneMs})`);
  }

  // zfs-fuse calls a just-unmounted dataset busy for a moment.
  for (let attempt = 0; poolMade; attempt++) {
    try {
      await run('zpool', ['destroy', '-f', pool]);
      poolMade = false;
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(250);
    }
  }
} catch (err) {
  console.error(`cache bench failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
}
clearTimeout(deadline);
if (!process.exitCode) {
  const [small, big] = SIZES.map((s) => results[`${s / MiB}MiB`]);
  console.log(
    JSON.stringify({
      bench: 'cache',
      sizesMiB: SIZES.map((s) => s / MiB),
      restoreMs: results,
      zfsCloneRatio: small && big ? Math.round((big.zfsCloneMs / small.zfsCloneMs) * 100) / 100 : null,
      tarRestoreRatio: small && big ? Math.round((big.tarRestoreMs / small.tarRestoreMs) * 100) / 100 : null,
      cloneVsTarAtLargest: big ? Math.round((big.tarRestoreMs / big.zfsCloneMs) * 10) / 10 : null,
    }),
  );
}
