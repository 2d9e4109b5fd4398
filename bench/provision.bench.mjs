// `npm run bench -- provision [--jobs 20]`: runtime-bhyve on the illumos simulator and zfs-fuse.
//   startMedians — t0 provision called (the clone) → t1 zone booted, t2 first console byte, t3 agent
//                  Hello, medians over N sequential jobs (each provisioned, connected, destroyed);
//   cloneMs      — storage-zfs cloneImage of a 64 MiB and a 1 GiB golden image (median of 5 each) and
//                  cloneRatio = 1 GiB / 64 MiB, which should stay near 1 (copy-on-write).
// Prints one JSON line. The simulator's figures are the orchestration cost on this machine (its "VM"
// is a process), not bhyve's. Needs root and zfs-fuse; makes a file-backed pool and destroys it.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentService } from '../core/dist/src/index.js';
import { PLAN_VERSION } from '../sdk/dist/src/index.js';
import { BhyveRuntime, execRunner } from '../plugins/runtime-bhyve/dist/src/index.js';
import { ZfsStorage } from '../plugins/storage-zfs/dist/src/index.js';

const MiB = 1024 * 1024;
// The illumos simulator's executables (tools/illumos-sim, built); HELIOS_ILLUMOS_SIM_DIR overrides.
const SIM_DIR = process.env.HELIOS_ILLUMOS_SIM_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../tools/illumos-sim');
const simCommands = Object.fromEntries(['zonecfg', 'zoneadm', 'dladm', 'zfs'].map((c) => [c, join(SIM_DIR, 'bin', c)]));
simCommands.control = join(SIM_DIR, 'bin', 'illumos-sim');
if (!existsSync(join(SIM_DIR, 'dist'))) {
  console.error(`provision bench: the illumos simulator is not built at ${SIM_DIR} (npm run build, or set HELIOS_ILLUMOS_SIM_DIR)`);
  process.exit(2);
}
const jobsArg = process.argv.indexOf('--jobs');
const JOBS = jobsArg > 0 ? Number(process.argv[jobsArg + 1]) : 20;
const deadline = setTimeout(() => {
  console.error('provision bench: over 20 minutes; giving up');
  process.exit(1);
}, 20 * 60_000);

const log = (m) => process.stderr.write(`${m}\n`);
const sbin = (cmd) => ['/usr/sbin', '/sbin'].map((d) => join(d, cmd)).find(existsSync) ?? cmd;
const run = (cmd, args) =>
  new Promise((resolve, reject) =>
    execFile(cmd, args, { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error(`${cmd} ${args.join(' ')}: ${err || e.message}`)) : resolve(out))),
  );
const sleep = (n) => new Promise((r) => setTimeout(r, n));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(((s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2) * 10) / 10 : null;
};
const now = () => Number(process.hrtime.bigint()) / 1e6;

if (process.getuid?.() !== 0 || !existsSync(sbin('zfs-fuse'))) {
  console.error('provision bench: needs root and zfs-fuse (apt-get install -y zfs-fuse)');
  process.exit(2);
}
if (!(await run(sbin('zpool'), ['list']).then(() => true, () => false))) {
  execFileSync(sbin('zfs-fuse'), ['--pidfile', process.env.HELIOS_ZFS_FUSE_PIDFILE ?? '/run/zfs-fuse.pid']);
  for (let i = 0; i < 100 && !(await run(sbin('zpool'), ['list']).then(() => true, () => false)); i++) await sleep(100);
}

const work = mkdtempSync(join(tmpdir(), 'helios-bench-provision-'));
const pool = `hbprov${process.pid}`;
const backing = join(work, 'pool.img');
writeFileSync(backing, '');
execFileSync('truncate', ['-s', '3G', backing]);
process.env.HELIOS_ILLUMOS_SIM_STATE = join(work, 'sim');
mkdirSync(process.env.HELIOS_ILLUMOS_SIM_STATE);
mkdirSync(join(work, 'zones'), { mode: 0o755 });
const sim = (cmd, ...args) => run(simCommands[cmd], args);
const service = new AgentService({ heartbeatIntervalMs: 500, heartbeatTimeoutMs: 20_000 });
let result;
try {
  await run(sbin('zpool'), ['create', '-m', join(work, 'mnt'), pool, backing]);
  const parent = `${pool}/ci`;
  await sim('zfs', 'create', '-p', `${parent}/images`);
  await sim('dladm', 'create-etherstub', 'helios0');

  /** A golden image "zvol" holding `bytes` of data (and the agent), snapshotted @v1. */
  async function image(name, bytes) {
    const ds = `${parent}/images/${name}`;
    await sim('zfs', 'create', '-V', `${Math.max(64, Math.ceil((bytes * 2) / MiB))}M`, ds);
    const mnt = (await run(sbin('zfs'), ['get', '-H', '-o', 'value', 'mountpoint', ds])).trim();
    mkdirSync(join(mnt, 'opt', 'helios'), { recursive: true });
    copyFileSync(createRequire(import.meta.url).resolve('@helios-ci/agent/bundle'), join(mnt, 'opt', 'helios', 'helios-agent.mjs'));
    mkdirSync(join(mnt, 'data'));
    const chunk = randomBytes(4 * MiB);
    for (let i = 0; i * 4 * MiB < bytes; i++) writeFileSync(join(mnt, 'data', `blob-${i}`), chunk.map((b) => b ^ (i & 0xff)));
    await sim('zfs', 'snapshot', `${ds}@v1`);
    return ds;
  }

  log('provision bench: images (64 MiB, 1 GiB)');
  const small = await image('small', 64 * MiB);
  await image('large', 1024 * MiB);
  const storage = new ZfsStorage({ id: 'zfs', parent, zfsCommand: simCommands.zfs, images: { small: { snapshot: 'v1' }, large: { snapshot: 'v1' } } });

  const cloneMs = {};
  for (const name of ['small', 'large']) {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const t = now();
      const v = await storage.cloneImage(name, `clone-${name}-${i}`);
      times.push(now() - t);
      await storage.release(v);
    }
    cloneMs[name === 'small' ? '64MiB' : '1GiB'] = median(times);
  }

  const { endpoint } = await service.start();
  const runtime = new BhyveRuntime({
    id: 'bhyve',
    storage,
    run: execRunner,
    stateDir: join(work, 'state'),
    config: {
      images: { bench: { dataset: small, snapshot: 'v1', ram: '1G', vcpus: 1, bootrom: 'BHYVE' } },
      zonepathRoot: join(work, 'zones'),
      network: { etherstub: 'helios0', subnet: '10.77.0.0/24', gateway: '10.77.0.1', resolvers: [], allow: [] },
      guest: { node: process.execPath, agent: '/opt/helios/helios-agent.mjs', stateDir: '/var/lib/helios' },
      namePrefix: 'hbench',
      maxMachines: 2,
      bootTimeoutSeconds: 120,
      commands: { zonecfg: simCommands.zonecfg, zoneadm: simCommands.zoneadm, dladm: simCommands.dladm, zfs: simCommands.zfs },
    },
  });
  const marks = { booted: [], console: [], hello: [] };
  for (let i = 0; i < JOBS; i++) {
    const jobId = `bench-${i}`;
    let hello;
    const helloP = new Promise((r) => (hello = r));
    const sink = { onConnected: () => hello(now()), onStepStarted() {}, onLog() {}, onStepFinished() {}, onAnnotation() {}, onFinished() {}, onLost() {} };
    const handle = service.registerJob(
      {
        planVersion: PLAN_VERSION, runId: 'bench', jobId,
        job: { id: jobId, workflow: { file: 'b.yml', name: 'b' }, jobKey: 'b', name: 'b', matrix: null, needs: [], if: null, runsOn: ['bench'], env: {}, defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 5, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null }, outputs: {}, secretNames: [], steps: [] },
        repository: { fullName: 'b/b', cloneUrl: `file://${work}/none`, sha: '0'.repeat(40), ref: 'refs/heads/main' },
        github: {}, needs: {}, inputs: {}, vars: {}, secrets: {},
      },
      sink,
    );
    const t0 = now();
    const at = {};
    const machine = await runtime.provision({ jobId, label: 'bench', cpus: 1, memoryMb: 1024, volumes: [], agent: { endpoint, token: handle.token }, onMilestone: (m) => (at[m] ??= now()) });
    const t3 = await Promise.race([helloP, sleep(60_000).then(() => null)]);
    if (at.booted) marks.booted.push(at.booted - t0);
    if (at.console) marks.console.push(at.console - t0);
    if (t3 !== null) marks.hello.push(t3 - t0);
    handle.cancel('bench done');
    await runtime.destroy(machine);
    log(`provision bench: job ${i + 1}/${JOBS} hello ${t3 === null ? 'never' : `${Math.round(t3 - t0)} ms`}`);
  }
  result = {
    bench: 'provision',
    jobs: JOBS,
    on: 'illumos-sim + zfs-fuse',
    startMediansMs: { booted: median(marks.booted), console: median(marks.console), hello: median(marks.hello) },
    helloReached: marks.hello.length,
    cloneMs,
    cloneRatio: cloneMs['64MiB'] ? Math.round((cloneMs['1GiB'] / cloneMs['64MiB']) * 100) / 100 : null,
  };
} finally {
  clearTimeout(deadline);
  await service.stop().catch(() => undefined);
  await run(sbin('zpool'), ['destroy', '-f', pool]).catch((e) => log(`provision bench: ${e.message}`));
  rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
