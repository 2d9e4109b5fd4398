import { HeliosError, ownerAllowed as ownerListed, type ForgeEvent, type RepoRef } from '@helios-ci/sdk';

/** What the mapping needs to know besides the payload. */
export interface MappingContext {
  forge: string;
  deliveryId: string;
  appId: number;
  /** Owner allow-list (any case); null = every owner. */
  allowedOwners: readonly string[] | null;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- webhook payloads are untyped JSON

const ZERO_SHA = /^0+$/;
const PR_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);
/** GitHub payloads list at most this many commits; beyond it the changed-file list is incomplete. */
const MAX_LISTED_COMMITS = 20;

const invalid = (ctx: MappingContext, event: string, what: string) =>
  new HeliosError('E_WEBHOOK_INVALID', `GitHub forge ${ctx.forge}: ${event} delivery ${ctx.deliveryId} lacks ${what}; is it really from GitHub?`);

function installationOf(ctx: MappingContext, event: string, body: Json): string {
  const id = body.installation?.id;
  if (typeof id !== 'number' && typeof id !== 'string') throw invalid(ctx, event, 'installation.id (only GitHub App deliveries are supported)');
  return String(id);
}

/** A RepoRef from a payload's repository object; owner.login, or the first part of full_name. */
export function repoRefOf(repo: Json | null | undefined, installationId: string): RepoRef | null {
  if (!repo || typeof repo !== 'object') return null;
  const [ownerFromName, nameFromName] = typeof repo.full_name === 'string' ? repo.full_name.split('/') : [];
  const owner = repo.owner?.login ?? repo.owner?.name ?? ownerFromName;
  const name = repo.name ?? nameFromName;
  if (typeof owner !== 'string' || typeof name !== 'string') return null;
  return { owner, name, ...(repo.id !== undefined ? { id: String(repo.id) } : {}), installationId };
}

function repoOf(ctx: MappingContext, event: string, body: Json): RepoRef {
  const repo = repoRefOf(body.repository, installationOf(ctx, event, body));
  if (!repo) throw invalid(ctx, event, 'repository');
  return repo;
}

const senderOf = (body: Json): string => String(body.sender?.login ?? '');

/**
 * The files a push changed, when the payload lists every commit of it (path filters need the
 * complete set; when it is not complete the planner treats the push as touching everything).
 */
function changedFilesOf(body: Json): string[] | undefined {
  const commits = body.commits;
  if (!Array.isArray(commits) || commits.length === 0 || commits.length >= MAX_LISTED_COMMITS) return undefined;
  if (ZERO_SHA.test(String(body.before ?? ''))) return undefined; // a new branch: compared to nothing
  const files = new Set<string>();
  for (const c of commits as Json[]) for (const key of ['added', 'removed', 'modified']) for (const f of (c[key] as unknown[]) ?? []) files.add(String(f));
  return [...files].sort();
}

const ownerAllowed = (ctx: MappingContext, repo: RepoRef) => ownerListed(ctx.allowedOwners, repo.owner);

/**
 * Normalises one GitHub delivery (already signature-checked) into the kernel's ForgeEvent; null for
 * what Helios ignores. Check suites and runs of other Apps are ignored: they are not ours to run.
 */
export function mapWebhook(event: string, body: Json, ctx: MappingContext): ForgeEvent | null {
  const base = { deliveryId: ctx.deliveryId, forge: ctx.forge };
  switch (event) {
    case 'ping':
      return { ...base, kind: 'ping' };
    case 'installation': {
      const installationId = installationOf(ctx, event, body);
      const repos = ((body.repositories as Json[] | undefined) ?? []).map((r) => repoRefOf(r, installationId)).filter((r): r is RepoRef => r !== null);
      const account = String(body.installation?.account?.login ?? '');
      if (!ownerListed(ctx.allowedOwners, account)) return null;
      return { ...base, kind: 'installation', action: String(body.action ?? ''), installationId, repos };
    }
    case 'push': {
      const repo = repoOf(ctx, event, body);
      if (!ownerAllowed(ctx, repo)) return null;
      // A deleted branch or tag has nothing to build.
      if (body.deleted === true || ZERO_SHA.test(String(body.after ?? '0'))) return null;
      if (typeof body.ref !== 'string' || typeof body.after !== 'string') throw invalid(ctx, event, 'ref/after');
      const changedFiles = changedFilesOf(body);
      return { ...base, kind: 'push', repo, ref: body.ref, before: String(body.before ?? ''), after: body.after, ...(changedFiles ? { changedFiles } : {}), sender: senderOf(body), ...defaultBranchOf(body) };
    }
    case 'pull_request': {
      if (!PR_ACTIONS.has(body.action)) return null;
      const repo = repoOf(ctx, event, body);
      if (!ownerAllowed(ctx, repo)) return null;
      const pr = body.pull_request as Json | undefined;
      if (!pr?.head?.sha || !pr.base?.ref) throw invalid(ctx, event, 'pull_request.head/base');
      // A deleted fork leaves head.repo null: treat it as a fork (never trusted).
      const headRepo = repoRefOf(pr.head.repo, repo.installationId!);
      const baseFull = String(pr.base.repo?.full_name ?? `${repo.owner}/${repo.name}`);
      const fromFork = !pr.head.repo || String(pr.head.repo.full_name) !== baseFull;
      return {
        ...base,
        kind: 'pullRequest',
        repo,
        number: Number(body.number ?? pr.number),
        action: String(body.action),
        head: { sha: String(pr.head.sha), ref: String(pr.head.ref), repo: headRepo ?? repo },
        base: { ref: String(pr.base.ref) },
        fromFork,
        author: String(pr.user?.login ?? senderOf(body)),
        ...defaultBranchOf(body),
      };
    }
    case 'check_suite': {
      const suite = body.check_suite as Json | undefined;
      if (!suite || suite.app?.id !== ctx.appId) return null;
      const repo = repoOf(ctx, event, body);
      if (!ownerAllowed(ctx, repo)) return null;
      if (body.action === 'requested') {
        // GitHub's own "a commit was pushed" for Apps with checks:write; tag pushes have no branch.
        if (typeof suite.head_branch !== 'string' || !suite.head_branch) return null;
        const after = String(suite.after ?? suite.head_sha);
        if (ZERO_SHA.test(after)) return null;
        return { ...base, kind: 'push', repo, ref: `refs/heads/${suite.head_branch}`, before: String(suite.before ?? ''), after, sender: senderOf(body), ...defaultBranchOf(body) };
      }
      if (body.action === 'rerequested') {
        // "Re-run all" and "Re-run failed" both arrive as this; the payload does not say which.
        return { ...base, kind: 'rerun', repo, suiteId: String(suite.id), sha: String(suite.head_sha), scope: 'all', sender: senderOf(body) };
      }
      return null;
    }
    case 'check_run': {
      const run = body.check_run as Json | undefined;
      if (!run || run.app?.id !== ctx.appId) return null;
      const checkId = typeof run.external_id === 'string' ? run.external_id : '';
      if (body.action !== 'rerequested' && body.action !== 'requested_action') return null;
      if (!checkId) return null; // not a run Helios created
      const repo = repoOf(ctx, event, body);
      if (!ownerAllowed(ctx, repo)) return null;
      const sender = senderOf(body);
      if (body.action === 'rerequested') {
        return { ...base, kind: 'rerun', repo, checkId, ...(run.check_suite?.id !== undefined ? { suiteId: String(run.check_suite.id) } : {}), sha: String(run.head_sha), scope: 'one', sender };
      }
      switch (body.requested_action?.identifier) {
        case 'rerun':
          return { ...base, kind: 'rerun', repo, checkId, sha: String(run.head_sha), scope: 'one', sender };
        case 'cancel':
          return { ...base, kind: 'cancel', repo, checkId, sender };
        case 'approve':
          return { ...base, kind: 'approve', repo, target: checkId, sender, ...(typeof run.head_sha === 'string' ? { headSha: run.head_sha } : {}) };
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

/** `repository.default_branch` when the payload has a usable one (caches read that branch's entries). */
function defaultBranchOf(body: Json): { defaultBranch?: string } {
  const name = body.repository?.default_branch;
  return typeof name === 'string' && /^[^\s]{1,255}$/.test(name) ? { defaultBranch: name } : {};
}
