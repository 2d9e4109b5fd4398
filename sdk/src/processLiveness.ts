/**
 * Whether processes and process groups are really alive, for runtimes and the agent, which kill
 * whole process groups on cancel and teardown. Linux-like hosts: zombies are told apart via /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** True if the pid exists and is not a zombie (a killed child can linger unreaped in containers). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** True while the group has a live (non-zombie) member; kill(0) alone also succeeds for zombies. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  try {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(rest[2]) === pgid && rest[0] !== 'Z') return true;
      } catch {
        /* raced with its exit */
      }
    }
    return false;
  } catch {
    return true;
  }
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    /* already gone */
  }
}
