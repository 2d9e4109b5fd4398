/**
 * A simulated OmniOS host for runtime-bhyve tests: a zfs-fuse pool of its own, the illumos
 * simulator's zonecfg/zoneadm/dladm/zfs with their state in a temp dir, an etherstub, and a golden
 * image "zvol" holding the real agent bundle, snapshotted as the config names it.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZfsStorage } from '@helios-ci/storage-zfs';
import type { BhyveConfig } from '../src/config.js';

export const LABEL = 'omnios-r151054';

/** storage-zfs's compiled pool helper (not a package export: a test helper of that workspace). */
export interface ZfsPool {
  pool: string;
  parent: string;
  mountpoint: string;
  zfs(...args: string[]): Promise<string>;
}
interface PoolHelper {
  withZfsPool<T>(fn: (p: ZfsPool) => Promise<T>): Promise<T>;
  zfsFuseMissing(): string | null;
  requireComponent<T>(test: T, missing: string | null): T;
}
/**
 * The illumos simulator (tools/illumos-sim, built): its executables are all these tests need, so
 * they are found by path (HELIOS_ILLUMOS_SIM_DIR overrides) rather than imported.
 */
const SIM_DIR = process.env.HELIOS_ILLUMOS_SIM_DIR ?? fileURLToPath(new URL('../../../../tools/illumos-sim', import.meta.url));
export const simCommands = {
  zonecfg: join(SIM_DIR, 'bin', 'zonecfg'),
  zoneadm: join(SIM_DIR, 'bin', 'zoneadm'),
  dladm: join(SIM_DIR, 'bin', 'dladm'),
  zfs: join(SIM_DIR, 'bin', 'zfs'),
  control: join(SIM_DIR, 'bin', 'illumos-sim'),
};

export const pools = (await import(new URL('../../../storage-zfs/dist/test/zfsPool.js', import.meta.url).href)) as PoolHelper;

export interface SimHost {
  pool: ZfsPool;
  root: string;
  stateDir: string;
  config: BhyveConfig;
  storage: ZfsStorage;
  sim(cmd: 'zoneadm' | 'dladm' | 'zfs' | 'zonecfg' | 'control', ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Zones, VNICs and clones the simulator and the pool still hold for this host. */
  leftovers(): Promise<string[]>;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { encoding: 'utf8', env: process.env }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })),
  );
}

/** Why the simulator tests cannot run here, or null. */
/** `test`, or one whose cases fail saying what is missing (never a skip). */
export function requireComponent<T>(test: T, missing: string | null): T {
  return pools.requireComponent(test, missing);
}

export function simMissing(): string | null {
  if (!existsSync(join(SIM_DIR, 'dist', 'src', 'cli', 'zoneadm.js'))) return `the illumos simulator is not built at ${SIM_DIR} (npm run build; or set HELIOS_ILLUMOS_SIM_DIR)`;
  return pools.zfsFuseMissing();
}

export async function withSimHost<T>(fn: (h: SimHost) => Promise<T>): Promise<T> {
  return pools.withZfsPool(async (pool) => {
    const root = mkdtempSync(join(tmpdir(), 'bhyve-sim-'));
    const previous = process.env.HELIOS_ILLUMOS_SIM_STATE;
    process.env.HELIOS_ILLUMOS_SIM_STATE = join(root, 'sim');
    mkdirSync(join(root, 'sim'), { recursive: true });
    mkdirSync(join(root, 'zones'), { recursive: true, mode: 0o755 });
    const sim: SimHost['sim'] = (cmd, ...args) => run(simCommands[cmd], args);
    try {
      const must = async (cmd: Parameters<SimHost['sim']>[0], ...args: string[]) => {
        const r = await sim(cmd, ...args);
        if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      await must('dladm', 'create-etherstub', 'helios0');
      const image = `${pool.parent}/images/omnios`;
      await must('zfs', 'create', '-p', `${pool.parent}/images`);
      await must('zfs', 'create', '-V', '64M', image);
      const mountpoint = (await pool.zfs('get', '-H', '-o', 'value', 'mountpoint', image)).trim();
      mkdirSync(join(mountpoint, 'opt', 'helios'), { recursive: true });
      copyFileSync(createRequire(import.meta.url).resolve('@helios-ci/agent/bundle'), join(mountpoint, 'opt', 'helios', 'helios-agent.mjs'));
      await must('zfs', 'snapshot', `${image}@r151054`);
      const storage = new ZfsStorage({ id: 'zfs', parent: pool.parent, zfsCommand: simCommands.zfs, images: { omnios: { snapshot: 'r151054' } } });
      const config: BhyveConfig = {
        images: { [LABEL]: { dataset: image, snapshot: 'r151054', ram: '1G', vcpus: 1, bootrom: 'BHYVE', diskSize: '128M' } },
        zonepathRoot: join(root, 'zones'),
        network: { etherstub: 'helios0', subnet: '10.77.0.0/24', gateway: '10.77.0.1', resolvers: ['10.77.0.1'], allow: [] },
        guest: { node: process.execPath, agent: '/opt/helios/helios-agent.mjs', stateDir: '/var/lib/helios' },
        namePrefix: 'hsim',
        maxMachines: 8,
        bootTimeoutSeconds: 60,
        commands: { zonecfg: simCommands.zonecfg, zoneadm: simCommands.zoneadm, dladm: simCommands.dladm, zfs: simCommands.zfs },
      };
      const leftovers = async () => {
        const left: string[] = [];
        for (const line of (await must('zoneadm', 'list', '-cp')).split('\n')) if (line.split(':')[1]?.startsWith('hsim-')) left.push(`zone ${line.split(':')[1]}`);
        for (const link of (await must('dladm', 'show-vnic', '-p', '-o', 'link')).split('\n')) if (link.trim()) left.push(`vnic ${link.trim()}`);
        const jobs = await pool.zfs('list', '-H', '-o', 'name', '-r', `${pool.parent}`).catch(() => '');
        for (const ds of jobs.split('\n')) if (ds.includes('/jobs/')) left.push(`dataset ${ds}`);
        return left;
      };
      return await fn({ pool, root, stateDir: join(root, 'state'), config, storage, sim, leftovers });
    } finally {
      // Anything a failed test left running in the simulator (VM processes) goes with the host.
      for (const line of (await sim('zoneadm', 'list', '-cp')).stdout.split('\n')) {
        const zone = line.split(':')[1];
        if (zone?.startsWith('hsim-')) await sim('zoneadm', '-z', zone, 'halt');
      }
      if (previous === undefined) delete process.env.HELIOS_ILLUMOS_SIM_STATE;
      else process.env.HELIOS_ILLUMOS_SIM_STATE = previous;
      rmSync(root, { recursive: true, force: true });
    }
  });
}
