/**
 * Warm paths on the orchestrator's side (issue 11): before provisioning, a job whose label has warm
 * paths gets a warm volume cloned from its branch's head (else the base branch's for a pull request,
 * else the default branch's); after its machine is destroyed the volume becomes the branch's new
 * head — only for a successful, trusted job of a push to a branch — or is released.
 *
 * Scopes follow GitHub's cache scopes: a run reads its own branch, a pull request its base branch,
 * then the default branch; only a push writes, and only its own branch. An untrusted run never
 * writes anything a trusted run reads.
 */
import { isHeliosError, type Logger, type Runtime, type Storage, type Volume } from '@helios-ci/sdk';
import type { JobRecord, RunRecord, Store, WarmHeadKey } from '../store/index.js';

/** A job's open warm volume and where it would be committed. */
export interface WarmSession {
  volume: Volume;
  paths: readonly string[];
  key: Omit<WarmHeadKey, 'ref'>;
}

export interface WarmVolumesOptions {
  store: Store;
  storage: Storage | null;
  logger: Logger;
  /** The default branch (`main` or `refs/heads/main`): config `caches.defaultBranch`, as cache scopes use. */
  defaultBranch: string;
}

/** Where Helios writes lines into the job's log. */
interface JobLog {
  system(text: string): void;
}

/**
 * The branches whose heads a run reads, in order: its own branch (a pull request: its base branch),
 * then the default branch — the event's when the forge said it, else config `caches.defaultBranch`
 * (runs without that word: `helios run`, API submissions), as cache scopes do.
 */
export function warmScopes(run: Pick<RunRecord, 'event' | 'ref'> & { plan?: { event: { defaultBranch?: string } } }, defaultBranch: string): string[] {
  const refs: string[] = [];
  // A pull request's ref is its base branch (PlanEvent.ref); a push's or dispatch's is its own.
  if (run.ref.startsWith('refs/heads/')) refs.push(run.ref);
  const named = run.plan?.event.defaultBranch ?? defaultBranch;
  const fallback = named.startsWith('refs/') ? named : `refs/heads/${named}`;
  if (!refs.includes(fallback)) refs.push(fallback);
  return refs;
}

/** Why this job's warm volume is not kept as a head, or null when it is. */
export function whyNotKept(run: Pick<RunRecord, 'event' | 'ref' | 'trusted'>, state: string): string | null {
  if (state !== 'succeeded') return `the job ${state === 'failed' ? 'failed' : `ended ${state}`}`;
  if (!run.trusted) return 'the run is untrusted';
  if (run.event !== 'push') return run.event === 'pull_request' ? 'a pull request never writes a branch head' : `a ${run.event} run does not write a branch head`;
  if (!run.ref.startsWith('refs/heads/')) return `${run.ref} is not a branch`;
  return null;
}

/** The repository as warm heads are keyed: forge instance + owner/name, or the local clone URL. */
export function warmRepoKey(run: Pick<RunRecord, 'forge' | 'repo'>): string {
  if (run.forge === null) return `local/${run.repo.id ?? run.repo.name}`;
  return `${run.forge}/${run.repo.owner}/${run.repo.name}`.toLowerCase();
}

export class WarmVolumes {
  constructor(private readonly o: WarmVolumesOptions) {}

  /**
   * The job's warm volume, or null when its label has no warm paths or the volume cannot be made
   * (then the job runs without warm data, and says so in its log).
   */
  async open(run: RunRecord, job: JobRecord, runtime: Runtime, label: string, log: JobLog): Promise<WarmSession | null> {
    const paths = runtime.warmPaths?.(label) ?? [];
    if (paths.length === 0) return null;
    const storage = this.o.storage;
    if (!storage) {
      log.system(`Helios: warm paths: runtime ${runtime.id} declares ${paths.join(', ')} for ${label}, but no storage is configured; the job runs without them`);
      return null;
    }
    const key = { storage: storage.id, repoKey: warmRepoKey(run), jobKey: job.planId, pathsKey: JSON.stringify(paths) };
    const scopes = warmScopes(run, this.o.defaultBranch);
    const head = this.o.store.warmHeads.find(key, scopes);
    try {
      const volume = await storage.openWarm(head?.headId ?? null, job.id);
      log.system(head
        ? `Helios: warm paths: ${paths.join(', ')} from head ${head.headId} (${head.ref}, job ${head.jobId})`
        : `Helios: warm paths: ${paths.join(', ')} start empty (no head for this job on ${scopes.join(', ')})`);
      return { volume, paths, key };
    } catch (err) {
      log.system(`Helios: warm paths: storage ${storage.id} could not open a warm volume (${describe(err)}); the job runs without them`);
      this.o.logger.error('opening a warm volume failed', { jobId: job.id, head: head?.headId ?? null, error: err });
      return null;
    }
  }

  /**
   * After the job's machine is destroyed (`machineGone`): the volume becomes its branch's new head when the job
   * earned it (see whyNotKept), otherwise it is released. The head row is written only after
   * commitWarm returned; the replaced head is removed after the row names the new one.
   */
  async close(session: WarmSession, run: RunRecord, job: JobRecord, machineGone: boolean, log: JobLog): Promise<void> {
    const storage = this.o.storage!;
    const notKept = machineGone ? whyNotKept(run, job.state) : 'its machine could not be destroyed, so something may still write the volume';
    if (notKept !== null) {
      log.system(`Helios: warm paths: not kept (${notKept}); the volume is released`);
      await this.release(storage, session.volume, job.id);
      return;
    }
    let headId: string;
    try {
      headId = await storage.commitWarm(session.volume);
    } catch (err) {
      log.system(`Helios: warm paths: keeping the volume failed (${describe(err)}); the branch keeps its previous head`);
      this.o.logger.error('committing a warm volume failed', { jobId: job.id, volume: session.volume.id, error: err });
      await this.release(storage, session.volume, job.id);
      return;
    }
    const old = this.o.store.warmHeads.replace({ ...session.key, ref: run.ref }, headId, job.id);
    log.system(`Helios: warm paths: kept as head ${headId} for ${run.ref}${old ? ` (replaces ${old})` : ''}`);
    if (old) {
      await storage.remove({ id: old, kind: 'warm-head' }).catch((err: unknown) => {
        // The row already names the new head: the old one is an orphan the reconciler removes.
        this.o.logger.warn('removing a replaced warm head failed', { head: old, error: err });
      });
    }
  }

  private async release(storage: Storage, volume: Volume, jobId: string): Promise<void> {
    await storage.release(volume).catch((err: unknown) => {
      // Listed with its job by storage.list(); the reconciler removes it at the next start.
      this.o.logger.error('releasing a warm volume failed', { jobId, volume: volume.id, error: err });
    });
  }
}

/**
 * After a crash, before any job runs: warm volumes belong to no live job and are released; heads
 * no row names (committed just before a crash, or replaced and not yet removed) are removed. Heads
 * a row names are live and stay.
 */
export async function reconcileWarm(store: Store, storage: Storage, logger: Logger): Promise<void> {
  const live = store.warmHeads.headIds(storage.id);
  for (const ref of await storage.list()) {
    if (ref.kind === 'warm-head' && live.has(ref.id)) continue;
    if (ref.kind !== 'warm' && ref.kind !== 'warm-head') continue;
    logger.warn('removing a warm volume or head left by a previous run of Helios', { storage: storage.id, id: ref.id, kind: ref.kind, jobId: ref.jobId });
    await storage.remove({ id: ref.id, kind: ref.kind }).catch((err: unknown) => logger.error('removing a leftover warm volume failed', { id: ref.id, error: err }));
  }
}

function describe(err: unknown): string {
  return `${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`;
}
