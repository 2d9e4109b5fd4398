/**
 * Niceness for a new session on Linux hosts with autogroup scheduling (`kernel.sched_autogroup_enabled`,
 * on by default in most distributions' kernels). There the CPU is shared between sessions first and a
 * process's nice value only counts inside its own session: a detached child (spawn `detached` →
 * setsid) starts a session of its own at nice 0, whatever its own niceness. Fifty job agents, each in
 * a session, got fifty shares against the server's one and held its event loop for hundreds of ms.
 * The fix is the session's own nice value, `/proc/<pid>/autogroup`. Unprivileged writers may raise it
 * (never lower) and only once per 100 ms host-wide (EAGAIN), so a refused write is retried in the
 * background for a few seconds. Without autogroup support (other kernels, illumos) there is no file and
 * nothing to do.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const RETRY_MS = 120;
const TRIES = 50;

/** The nice value of `pid`'s session, or null when the host has no autogroup (or the process is gone). */
export function autogroupNiceOf(pid: number | 'self'): number | null {
  try {
    const m = / nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/**
 * Raises the nice value of `pid`'s session to `nice` (never lowers it). Returns at once; a write the
 * kernel refuses for its rate limit is retried while `alive()` says the process is still ours.
 */
export function raiseAutogroupNice(pid: number | 'self', nice: number, alive: () => boolean = () => true): void {
  let tries = 0;
  const attempt = (): void => {
    const current = autogroupNiceOf(pid);
    if (current === null || current >= nice || !alive()) return;
    try {
      writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && ++tries < TRIES) setTimeout(attempt, RETRY_MS + Math.floor(Math.random() * 60)).unref();
    }
  };
  attempt();
}
