/** Test helpers: a fresh simulated host (state dir + a zonepath root) and its commands run as a runtime would. */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simCommands } from '../src/index.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Host {
  state: string;
  /** A directory for zonepaths (mode 755, parent not world-writable). */
  zones: string;
  dir: string;
  env: Record<string, string>;
  run(tool: keyof typeof simCommands, ...args: string[]): Promise<Run>;
  /** Runs and fails the test on a non-zero exit. */
  ok(tool: keyof typeof simCommands, ...args: string[]): Promise<string>;
  file(name: string, content: string): string;
  /** Halts every running zone (a failed test must not leave VMs holding the pool), then removes the dir. */
  cleanup(): Promise<void>;
}

export function newHost(extraEnv: Record<string, string> = {}): Host {
  const dir = mkdtempSync(join(tmpdir(), 'illumos-sim-'));
  chmodSync(dir, 0o755);
  const state = join(dir, 'state');
  const zones = join(dir, 'zones');
  mkdirSync(zones, { mode: 0o755 });
  const env = { PATH: process.env.PATH ?? '', HELIOS_ILLUMOS_SIM_STATE: state, HELIOS_ILLUMOS_SIM_FIRMWARE_MS: '0', ...extraEnv };
  const run = (tool: keyof typeof simCommands, ...args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(simCommands[tool], args, { env, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  return {
    state,
    zones,
    dir,
    env,
    run,
    async ok(tool, ...args) {
      const r = await run(tool, ...args);
      if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    file(name, content) {
      const f = join(dir, name);
      writeFileSync(f, content);
      return f;
    },
    async cleanup() {
      const listed = await run('zoneadm', 'list', '-p');
      for (const line of listed.stdout.split('\n')) {
        const name = line.split(':')[1];
        if (name && name !== 'global') await run('zoneadm', '-z', name, 'halt');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The facts file's §5 command file, for a zone at `zonepath` booting `dataset` over `vnic`. */
export function jobZoneFile(o: { zonepath: string; dataset: string; vnic: string; cloudInit?: string; extra?: string }): string {
  return `create -b
set brand=bhyve
set zonepath=${o.zonepath}
set autoboot=false
set ip-type=exclusive
add net
set physical=${o.vnic}
set allowed-address=10.77.0.34/24
set defrouter=10.77.0.1
end
add device
set match=/dev/zvol/rdsk/${o.dataset}
end
add attr
set name=bootdisk
set type=string
set value=${o.dataset},serial=JOB1234
end
add attr
set name=ram
set type=string
set value=4G
end
add attr
set name=vcpus
set type=string
set value=2
end
add attr
set name=bootrom
set type=string
set value=BHYVE
end
add attr
set name=console
set type=string
set value=socket,/tmp/vm.com1
end
add attr
set name=cloud-init
set type=string
set value=${o.cloudInit ?? 'on'}
end
add attr
set name=resolvers
set type=string
set value=10.77.0.1
end
${o.extra ?? ''}verify
commit
`;
}

/** A console client: collects what it receives; `closed` once the simulator hangs up. */
export interface ConsoleClient {
  text(): string;
  closed(): boolean;
  close(): void;
}

export function consoleClient(path: string): Promise<ConsoleClient> {
  return new Promise((resolve, reject) => {
    let data = '';
    let closed = false;
    const s: Socket = connect(path);
    s.on('data', (d) => (data += d.toString()));
    s.on('close', () => (closed = true));
    s.once('error', reject);
    s.once('connect', () => resolve({ text: () => data, closed: () => closed, close: () => s.destroy() }));
  });
}

/** `zfs destroy` as a runtime does it: zfs-fuse calls a dataset busy for a moment after its last user exits. */
export async function destroyDataset(h: Host, dataset: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const r = await h.run('zfs', 'destroy', dataset);
    if (r.code === 0) return;
    if (!/dataset is busy/.test(r.stderr) || attempt >= 40) throw new Error(`zfs destroy ${dataset}: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
