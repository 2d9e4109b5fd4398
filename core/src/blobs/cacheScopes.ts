/**
 * Which caches a run may read and where it writes, as GitHub scopes them: a run reads its own ref,
 * then (a pull request) its base branch, then the default branch; it writes only its own ref. A
 * pull request's own ref is `refs/pull/<n>/merge`, never its head branch, so a pull request's
 * caches are not a branch's. Entries an untrusted run (fork pull request) writes carry
 * trusted = false, and a trusted run never reads those — wherever they are.
 */
import type { RunRecord } from '../store/index.js';

export interface ReadScope {
  scope: string;
  /** Writers whose entries this run may read here. */
  trusted: readonly boolean[];
}

export interface CacheScopes {
  /** `forge/owner/name`; `local/...` for `helios run`. */
  repo: string;
  /** Where this run's saves go. */
  write: string;
  /** Whether this run's saves are trusted. */
  trusted: boolean;
  /** In lookup order, without repeats. */
  read: ReadScope[];
}

export function repoKeyOf(run: Pick<RunRecord, 'forge' | 'repo'>): string {
  return `${run.forge ?? 'local'}/${run.repo.owner}/${run.repo.name}`;
}

/** The ref a run's cache saves go to. */
export function ownScopeOf(run: Pick<RunRecord, 'event' | 'ref' | 'plan'>): string {
  if (run.event !== 'pull_request') return run.ref;
  const number = run.plan.event.number;
  if (number) return `refs/pull/${number}/merge`;
  // A pull request without a number (a local `helios run --event pull_request`): its head, apart
  // from every branch's own scope.
  const head = (run.plan.event.headRef ?? run.ref).replace(/^refs\/heads\//, '');
  return `refs/pull/head/${head}`;
}

export function cacheScopesOf(run: Pick<RunRecord, 'forge' | 'repo' | 'event' | 'ref' | 'plan' | 'trusted'>, defaultBranch: string): CacheScopes {
  const own = ownScopeOf(run);
  const candidates = [own];
  if (run.event === 'pull_request') candidates.push(run.ref);
  // The event's default branch (forges say it in every push and pull request) beats the config's.
  const branch = run.plan.event.defaultBranch ?? defaultBranch;
  candidates.push(branch.startsWith('refs/') ? branch : `refs/heads/${branch}`);
  const read: ReadScope[] = [];
  for (const scope of candidates) {
    if (read.some((r) => r.scope === scope)) continue;
    // An untrusted run reads its own untrusted entries, and trusted entries anywhere it may read.
    read.push({ scope, trusted: !run.trusted && scope === own ? [true, false] : [true] });
  }
  return { repo: repoKeyOf(run), write: own, trusted: run.trusted, read };
}
