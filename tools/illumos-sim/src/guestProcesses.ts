/**
 * Every process of a simulated guest, so that a halt ends them all as a real VM halt does. The VM's
 * process group is not enough: a guest agent starts its steps in sessions of their own (setsid),
 * which leave the group. A guest process is a descendant of the VM process, or one whose working
 * directory or root lies inside the guest root (it outlived its parent and was re-parented). Found
 * through /proc (Linux, where the simulator runs).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces or ')': fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]) });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

function inside(pid: number, guestRoot: string): boolean {
  for (const link of ['cwd', 'root']) {
    try {
      const target = readlinkSync(`/proc/${pid}/${link}`);
      if (target === guestRoot || target.startsWith(`${guestRoot}/`)) return true;
    } catch {
      // Gone, or not ours to read.
    }
  }
  return false;
}

/** Live (not zombie) processes of the guest, never this process. */
export function guestPids(vmPid: number | undefined, guestRoot: string | undefined): number[] {
  const all = processes().filter((p) => p.state !== 'Z' && p.pid !== process.pid);
  const found = new Set<number>();
  if (guestRoot && guestRoot !== '/') for (const p of all) if (inside(p.pid, guestRoot)) found.add(p.pid);
  if (vmPid) {
    const children = new Map<number, number[]>();
    for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
    const queue = all.some((p) => p.pid === vmPid) ? [vmPid] : [];
    while (queue.length) {
      const pid = queue.shift()!;
      found.add(pid);
      queue.push(...(children.get(pid) ?? []));
    }
  }
  return [...found];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Stops every guest process (stopped ones cannot fork, so the set stops growing), then kills them all. */
export function signalGuest(vmPid: number | undefined, guestRoot: string | undefined): void {
  const stopped = new Set<number>();
  for (let round = 0; round < 100; round++) {
    const fresh = guestPids(vmPid, guestRoot).filter((p) => !stopped.has(p));
    if (!fresh.length) break;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      stopped.add(pid);
    }
  }
  for (const pid of stopped) signal(pid, 'SIGKILL');
  if (vmPid) signal(-vmPid, 'SIGKILL');
}

/** signalGuest, then waits until no guest process is left; returns the pids still alive after waitMs (none, normally). */
export async function killGuest(vmPid: number | undefined, guestRoot: string | undefined, waitMs = 10_000): Promise<number[]> {
  signalGuest(vmPid, guestRoot);
  const until = Date.now() + waitMs;
  let left = guestPids(vmPid, guestRoot);
  while (left.length && Date.now() < until) {
    for (const pid of left) signal(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
    left = guestPids(vmPid, guestRoot);
  }
  return left;
}
