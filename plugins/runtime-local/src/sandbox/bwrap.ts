/**
 * The bubblewrap command line of a sandboxed machine. What the job sees:
 *   - the host root read-only, a fresh /dev and /proc (its own PID namespace: no host process, no
 *     /proc/<server pid>/environ), private /tmp (the machine's tmp/), and empty /home, /root,
 *     /var/tmp and /run;
 *   - none of the protected paths (the server's data dir, config file, secrets file, storage...):
 *     a directory becomes an empty tmpfs, a file /dev/null;
 *   - writable: only the machine's home (HOME and the workspace), its tmp, its warm volume and, for
 *     a trusted job, the host's shared tool cache (RUNNER_TOOL_CACHE, <workRoot>/_tool; an untrusted
 *     job's is in its home, and the shared one is hidden from it);
 *   - read-only: the bootstrap file, the `file://` source being cloned, the agent, the relay, node;
 *   - no network but loopback; /run/helios holds the UNIX sockets to the agent endpoint, the proxy
 *     and the actions runtime services.
 * Mounts apply parents first (sorted by depth), so a path shown inside a hidden one (the machine
 * home inside the data dir) and a path hidden inside a shown one (a secrets file in the cloned
 * repository) both come out right.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

/** Where the relay's sockets appear inside the sandbox (short: a UNIX socket path has 107 bytes). */
export const SANDBOX_NET_DIR = '/run/helios';
/** The loopback ports the relay listens on inside the sandbox (its network namespace is private). */
export const INSIDE_AGENT_PORT = 47001;
export const INSIDE_PROXY_PORT = 47002;
export const INSIDE_ACTIONS_PORT = 47003;

/** Host directories a job never sees: they become empty (the machine's own parts are bound back in). */
const PRIVATE_DIRS = ['/tmp', '/var/tmp', '/home', '/root', '/run'];

type Mount = { kind: 'hide' | 'ro' | 'rw'; source: string; target: string };

export interface SandboxLayout {
  bwrap: string;
  /** Paths no job may see (PluginContext.protectedPaths). */
  protectedPaths: readonly string[];
  home: string;
  tmp: string;
  netDir: string;
  bootstrap: string;
  /** Read-only extras: the agent bundle, the relay script, the node installation, the cloned source. */
  readOnly: readonly string[];
  /** Writable extras: the warm volume, the shared tool cache. */
  readWrite: readonly string[];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const depth = (path: string) => (path === sep ? 0 : path.split(sep).length - 1);

/** The node installation a node executable belongs to (`/opt/node/bin/node` → `/opt/node`). */
export function nodePrefix(nodePath: string): string {
  const bin = dirname(real(nodePath));
  return bin.endsWith(`${sep}bin`) ? dirname(bin) : bin;
}

export function sandboxMounts(layout: SandboxLayout): Mount[] {
  const mounts: Mount[] = [];
  for (const dir of PRIVATE_DIRS) if (existsSync(dir)) mounts.push({ kind: 'hide', source: '', target: dir });
  // Never the root itself: a tmpfs over / would leave nothing to run.
  for (const p of layout.protectedPaths) if (existsSync(p) && real(p) !== sep) mounts.push({ kind: 'hide', source: '', target: real(p) });
  const hidden = mounts.map((m) => m.target);
  const under = (p: string) => hidden.some((h) => p === h || p.startsWith(`${h}${sep}`));
  // Read-only extras only where something hid them: re-binding a visible path (the node prefix
  // /usr, or / itself) would also bring back the host's /proc or /dev below it.
  for (const p of layout.readOnly) if (existsSync(p) && under(real(p))) mounts.push({ kind: 'ro', source: real(p), target: real(p) });
  for (const p of [layout.home, ...layout.readWrite]) mounts.push({ kind: 'rw', source: real(p), target: real(p) });
  mounts.push({ kind: 'ro', source: real(layout.bootstrap), target: real(layout.bootstrap) });
  mounts.push({ kind: 'rw', source: real(layout.tmp), target: '/tmp' });
  mounts.push({ kind: 'rw', source: real(layout.netDir), target: SANDBOX_NET_DIR });
  // Parents first; at equal depth a hide goes last, so a protected path stays hidden even when it is also shown.
  const rank = (m: Mount) => (m.kind === 'hide' ? 1 : 0);
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m);
}

function mountArgs(m: Mount): string[] {
  if (m.kind === 'rw') return ['--bind', m.source, m.target];
  if (m.kind === 'ro') return ['--ro-bind', m.source, m.target];
  // A directory is replaced by an empty tmpfs, anything else by /dev/null.
  return statSync(m.target).isDirectory() ? ['--tmpfs', m.target] : ['--ro-bind', '/dev/null', m.target];
}

/** `bwrap ... -- command...` (argv; no shell). */
export function bwrapArgv(layout: SandboxLayout, command: readonly string[]): string[] {
  return [
    layout.bwrap,
    // Killed with the server (a sandbox without its relay has no way out anyway); PID 1 of the
    // namespace ending ends every process in it, so nothing of a job survives it.
    '--die-with-parent',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    // Run as root, bwrap would keep every capability: CAP_SYS_ADMIN could unmount what hides the data dir.
    '--cap-drop',
    'ALL',
    '--hostname',
    'helios-job',
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    ...sandboxMounts(layout).flatMap(mountArgs),
    '--chdir',
    layout.home,
    '--',
    ...command,
  ];
}

/** The relay's socket paths on the host (in the machine directory) and inside the sandbox. */
type RelaySocket = { host: string; inside: string };

export function relaySockets(netDir: string): { agent: RelaySocket; proxy: RelaySocket; actions: RelaySocket } {
  const socket = (name: string) => ({ host: join(netDir, `${name}.sock`), inside: `${SANDBOX_NET_DIR}/${name}.sock` });
  return { agent: socket('agent'), proxy: socket('proxy'), actions: socket('actions') };
}
