/** Finding bubblewrap and checking that it can build the namespaces the sandbox needs on this host. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** `bwrap` on `path` (the runtime's config.path, the PATH its jobs get), or null. */
export function findBwrap(path: string): string | null {
  const dirs = path.split(':').filter((d) => d.startsWith('/'));
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, 'bwrap');
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
  const r = spawnSync(bwrap, ['--die-with-parent', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--cap-drop', 'ALL', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { PATH: '/usr/bin:/bin' },
  });
  if (r.error) return r.error.message;
  if (r.status !== 0) return (r.stderr || `exit ${r.status}`).trim().split('\n')[0] ?? `exit ${r.status}`;
  return null;
}
