/**
 * Turns a failed `zfs`/`zpool` call into a HeliosError whose message says what to do about it.
 */
import { HeliosError, isHeliosError } from '@helios-ci/sdk';
import { ZfsCommandError } from './zfsCli.js';

export interface ZfsErrorContext {
  /** What Helios was doing, for the message: "cloning image ubuntu for job j1". */
  doing: string;
  /** The dataset the call was about, when there is one. */
  dataset?: string;
  zfsCommand: string;
}

export function zfsError(err: unknown, ctx: ZfsErrorContext): HeliosError {
  if (isHeliosError(err)) return err;
  if (!(err instanceof ZfsCommandError)) {
    return new HeliosError('E_STORAGE_FAILED', `storage-zfs: ${ctx.doing} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const facts = { argv: err.argv, ...(ctx.dataset ? { dataset: ctx.dataset } : {}), output: err.stderr.trim().slice(0, 2000) };
  const said = err.stderr.trim().split('\n')[0] ?? '';
  const head = `storage-zfs: ${ctx.doing}: ${said}`;
  switch (err.failure) {
    case 'daemon-down':
      return new HeliosError('E_STORAGE_UNAVAILABLE', `${head} — the ZFS daemon is not running; on zfs-fuse start it with "zfs-fuse --pidfile /run/zfs-fuse.pid" (or "service zfs-fuse start")`, { cause: err, facts });
    case 'command-missing':
      return new HeliosError('E_STORAGE_CONFIG', `${head} — install ZFS (Debian: apt-get install zfs-fuse) or set zfsCommand/zpoolCommand in this plugin's config to the full path`, { cause: err, facts });
    case 'permission':
      return new HeliosError('E_STORAGE_CONFIG', `${head} — run Helios as root, or delegate the parent dataset to its user with "zfs allow"`, { cause: err, facts });
    case 'quota':
      return new HeliosError('E_STORAGE_QUOTA', `${head} — the repository is over its storage quota (quotaPerRepositoryBytes); prune its caches or artifacts, or raise the quota`, { cause: err, facts });
    case 'no-space':
      return new HeliosError('E_STORAGE_FULL', `${head} — the pool is out of space; prune caches, artifacts and warm heads (helios cache prune) or grow the pool`, { cause: err, facts });
    case 'busy':
      return new HeliosError('E_STORAGE_BUSY', `${head} — still busy after every retry; something holds the dataset open (a process with its cwd inside it, a mount on top); find it with "fuser -vm <mountpoint>" and try again`, { cause: err, facts });
    case 'has-dependents':
      return new HeliosError('E_STORAGE_IN_USE', `${head} — clones made from it still exist; release those first (zfs list -t all -o name,origin shows them)`, { cause: err, facts });
    case 'timeout':
      return new HeliosError('E_STORAGE_UNAVAILABLE', `${head} — the ZFS command hung; check the daemon and the pool (zpool status)`, { cause: err, facts });
    default:
      return new HeliosError('E_STORAGE_FAILED', `${head}`, { cause: err, facts });
  }
}
