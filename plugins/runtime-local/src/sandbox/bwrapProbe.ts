/** Finding bubblewrap and checking that it can build the namespaces the sandbox needs on this host. */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** `bwrap` on `path` (the runtime's config.path, the PATH its jobs get), or null. */
export function findBwrap(path: string): string | null {
  return findExecutable('bwrap', path);
}

/** An executable `name` in the absolute directories of `path`, or null. */
export function findExecutable(name: string, path: string): string | null {
  const dirs = path.split(':').filter((d) => d.startsWith('/'));
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* next */
    }
  }
  return null;
}

/**
 * Runs `true` in a sandbox with the namespaces a job gets: bwrap may be installed but refused
 * (no unprivileged user namespaces, a seccomp profile forbidding mount). Null when it works, else why not.
 */
export function probeBwrap(bwrap: string): string | null {
  const r = spawnSync(bwrap, PROBE_ARGS, { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, env: PROBE_ENV });
  if (r.error) return r.error.message;
  return probeOutcome(r.status, r.stderr);
}

/**
 * probeBwrap without blocking the event loop: `helios run` and `helios serve` build the rest of the
 * kernel (the store, its migrations) while bwrap sets its namespaces up.
 */
export function probeBwrapAsync(bwrap: string): Promise<string | null> {
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(bwrap, PROBE_ARGS, { timeout: PROBE_TIMEOUT_MS, env: PROBE_ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', (err) => resolve(err.message));
    child.once('close', (status, signal) => resolve(signal ? `killed by ${signal}` : probeOutcome(status, stderr)));
  });
}

const PROBE_ARGS = ['--die-with-parent', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', 'true'];
const PROBE_TIMEOUT_MS = 10_000;
const PROBE_ENV = { PATH: '/usr/bin:/bin' };

function probeOutcome(status: number | null, stderr: string): string | null {
  if (status === 0) return null;
  return (stderr || `exit ${status}`).trim().split('\n')[0] ?? `exit ${status}`;
}
