/**
 * Finds and kills every process of one machine by a marker in its environment, as GitHub's runner does
 * with RUNNER_TRACKING_ID. A step that daemonises (`setsid`, double fork) leaves its process group and
 * its parent, but keeps the environment it was started with: `HELIOS_TRACKING_ID=<marker>` set for the
 * agent is inherited by everything the job starts. Linux-like hosts (/proc/<pid>/environ); elsewhere
 * the scan finds nothing (on illumos the zone boundary does this job for runtime-bhyve).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { HeliosError } from './errors.js';
import { isAlive } from './processLiveness.js';

/** The variable every process of a machine inherits. */
export const TRACKING_ENV = 'HELIOS_TRACKING_ID';

/** What a marker may look like: no `=`, NUL or space, so the exact entry match cannot be fooled. */
const MARKER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertTrackingMarker(marker: string): void {
  if (!MARKER.test(marker)) {
    throw new HeliosError('E_TRACKING_MARKER_INVALID', `process-tracking: ${JSON.stringify(marker)} is not a tracking marker (letters, digits, '.', '_', '-'; 1-128 characters)`);
  }
}

export interface TrackingScanOptions {
  /** Pids never returned (this process is always excluded). */
  exclude?: readonly number[];
  /** The proc filesystem (tests only). */
  procRoot?: string;
}

/**
 * Pids whose environment holds exactly `HELIOS_TRACKING_ID=<marker>`. Processes that vanish during
 * the scan, or whose environ we may not read (another user's), are skipped: they are not ours.
 */
export function findTracked(marker: string, opts: TrackingScanOptions = {}): number[] {
  assertTrackingMarker(marker);
  const root = opts.procRoot ?? '/proc';
  const exclude = new Set([process.pid, ...(opts.exclude ?? [])]);
  const entry = Buffer.from(`${TRACKING_ENV}=${marker}`);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (exclude.has(pid)) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`${root}/${name}/environ`);
    } catch {
      continue;
    }
    if (hasEntry(environ, entry)) found.push(pid);
  }
  return found;
}

/** True if the NUL-separated environ block holds `entry` as a whole entry (not a prefix of a longer value). */
/** Environ files read at once by findTrackedAsync (each read is one thread-pool job). */
const SCAN_PARALLEL = 16;

/**
 * findTracked without blocking the event loop: /proc is read on libuv's thread pool. A busy host
 * has hundreds of processes; reading each one's environ synchronously took 20–50 ms per scan, and a
 * server tearing down fifty machines at once scans a hundred times.
 */
export async function findTrackedAsync(marker: string, opts: TrackingScanOptions = {}): Promise<number[]> {
  assertTrackingMarker(marker);
  const root = opts.procRoot ?? '/proc';
  const exclude = new Set([process.pid, ...(opts.exclude ?? [])]);
  const entry = Buffer.from(`${TRACKING_ENV}=${marker}`);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const pids = names.filter((n) => /^\d+$/.test(n) && !exclude.has(Number(n)));
  const found: number[] = [];
  for (let i = 0; i < pids.length; i += SCAN_PARALLEL) {
    const batch = pids.slice(i, i + SCAN_PARALLEL);
    const environs = await Promise.all(batch.map((name) => readFile(`${root}/${name}/environ`).catch(() => null)));
    environs.forEach((environ, j) => {
      if (environ && hasEntry(environ, entry)) found.push(Number(batch[j]));
    });
  }
  return found;
}

function hasEntry(environ: Buffer, entry: Buffer): boolean {
  let from = 0;
  for (;;) {
    const at = environ.indexOf(entry, from);
    if (at < 0) return false;
    const startsEntry = at === 0 || environ[at - 1] === 0;
    const end = at + entry.length;
    const endsEntry = end === environ.length || environ[end] === 0;
    if (startsEntry && endsEntry) return true;
    from = at + 1;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM every tracked process, SIGKILL what is left after `graceMs`, and rescan until nothing with
 * the marker is alive (a dying daemon may fork once more). Returns every pid it signalled.
 */
export async function killTracked(marker: string, opts: TrackingScanOptions & { graceMs: number }): Promise<number[]> {
  const signalled = new Set<number>();
  const first = (await findTrackedAsync(marker, opts)).filter(isAlive);
  for (const pid of first) {
    signalled.add(pid);
    signal(pid, 'SIGTERM');
  }
  const deadline = Date.now() + opts.graceMs;
  while (first.some(isAlive) && Date.now() < deadline) await sleep(25);
  for (let round = 0; round < 20; round++) {
    const live = (await findTrackedAsync(marker, opts)).filter(isAlive);
    if (live.length === 0) break;
    for (const pid of live) {
      signalled.add(pid);
      signal(pid, 'SIGKILL');
    }
    await sleep(10);
  }
  return [...signalled];
}

/** The synchronous last resort (an agent about to exit): SIGKILL every tracked process, a few rounds. */
export function killTrackedNow(marker: string, opts: TrackingScanOptions = {}): number[] {
  const signalled = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const live = findTracked(marker, opts).filter(isAlive);
    if (live.length === 0) break;
    for (const pid of live) {
      signalled.add(pid);
      signal(pid, 'SIGKILL');
    }
  }
  return [...signalled];
}
