/**
 * The simulator's on-disk state under $HELIOS_ILLUMOS_SIM_STATE: one JSON file per zone, one for
 * the datalinks, one for armed faults, all written atomically (temp file + rename) under one lock
 * so concurrent zonecfg/zoneadm/dladm invocations (several jobs provisioning at once) serialize.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SimError } from './simError.js';
import type { ZoneConfig } from './zoneConfig.js';

export type ZoneState = 'configured' | 'incomplete' | 'installed' | 'ready' | 'running';

export interface ZoneRecord {
  name: string;
  state: ZoneState;
  /** Assigned at install (zoneadm list -p field 5); empty while only configured. */
  uuid: string;
  /** While running: the zone id and the pid of the VM process (its own process group). */
  zoneid?: number;
  vmPid?: number;
  /** While running: the boot disk's filesystem, the guest's root (halt ends every process inside it). */
  guestRoot?: string;
  /** Whether install created the zonepath (uninstall then removes it, as illumos does). */
  createdZonepath?: boolean;
  config: ZoneConfig;
}

export interface LinkRecord {
  name: string;
  class: 'phys' | 'etherstub' | 'vnic';
  /** VNICs: the link they are over; their MAC; temporary (-t); link properties set on them. */
  over?: string;
  macaddress?: string;
  temporary?: boolean;
  props?: Record<string, string>;
}

export interface Links {
  links: LinkRecord[];
}

export class SimState {
  readonly root: string;
  constructor(root = process.env.HELIOS_ILLUMOS_SIM_STATE) {
    if (!root) throw new SimError('illumos-sim: HELIOS_ILLUMOS_SIM_STATE is not set; point it at the directory that holds the simulated host state');
    this.root = root;
    mkdirSync(join(root, 'zones'), { recursive: true });
  }

  private zoneFile(name: string) {
    return join(this.root, 'zones', `${name}.json`);
  }

  readZone(name: string): ZoneRecord | null {
    const f = this.zoneFile(name);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ZoneRecord) : null;
  }

  writeZone(zone: ZoneRecord): void {
    writeJsonAtomic(this.zoneFile(zone.name), zone);
  }

  deleteZone(name: string): void {
    rmSync(this.zoneFile(name), { force: true });
  }

  zones(): ZoneRecord[] {
    return readdirSync(join(this.root, 'zones'))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(this.root, 'zones', f), 'utf8')) as ZoneRecord);
  }

  readLinks(): Links {
    const f = join(this.root, 'links.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Links) : { links: [] };
  }

  writeLinks(links: Links): void {
    writeJsonAtomic(join(this.root, 'links.json'), links);
  }

  /** A counter kept on disk (zone ids, MAC suffixes) so ids are not reused while the state lives. */
  next(counter: string): number {
    const f = join(this.root, `${counter}.counter`);
    const n = existsSync(f) ? Number(readFileSync(f, 'utf8')) + 1 : 1;
    writeJsonAtomic(f, n);
    return n;
  }

  /** Runs fn holding the state lock (an O_EXCL lock file naming its holder's pid). */
  async locked<T>(fn: () => Promise<T> | T): Promise<T> {
    const lock = join(this.root, 'lock');
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = openSync(lock, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        breakStaleLock(lock);
        if (attempt > 6000) throw new SimError(`illumos-sim: state lock ${lock} held for over a minute; remove it if its holder is gone`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

/** A lock whose holder died (kill -9 mid-command) would block every later command: remove it. */
function breakStaleLock(lock: string): void {
  let holder: number;
  try {
    holder = Number(readFileSync(lock, 'utf8'));
  } catch {
    return;
  }
  // An empty file is a holder between open and write: not stale.
  if (!Number.isInteger(holder) || holder <= 0 || pidAlive(holder)) return;
  try {
    // Re-read right before removing, to narrow the window where a new holder took it meanwhile.
    if (Number(readFileSync(lock, 'utf8')) === holder) rmSync(lock, { force: true });
  } catch {
    /* gone already */
  }
}

/** Running (a zombie waiting for its parent to reap it is dead: a VM in that state has powered off). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    // No /proc (not Linux) or gone meanwhile: kill(0) said it was there.
    return existsSync(`/proc/${pid}`) || !existsSync('/proc/self');
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + '\n');
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
