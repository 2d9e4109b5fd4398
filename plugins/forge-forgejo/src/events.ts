import { HeliosError, type ForgeEvent, type RepoRef } from '@helios-ci/sdk';
import type { ForgejoRepository, ForgejoUser, IssueCommentPayload, PullRequestPayload, PushPayload } from './payloads.js';

export const APPROVE_COMMAND = '/helios approve';
const ZERO_SHA = /^0+$/;

/** What a delivery became: an event, or null with the reason it was ignored (for the log). */
export type Parsed = { event: ForgeEvent; ignored?: undefined } | { event: null; ignored: string };

const ignored = (reason: string): Parsed => ({ event: null, ignored: reason });

const invalid = (what: string) =>
  new HeliosError('E_WEBHOOK_INVALID', `Forgejo delivery is missing ${what}; is the hook of type "forgejo" or "gitea" with content type json?`);

const login = (u: ForgejoUser | undefined): string | undefined => u?.login || u?.username || undefined;

/** RepoRef from a payload repository: owner login, name, numeric id as a string. */
export function repoRef(repo: ForgejoRepository | null | undefined, what = 'repository'): RepoRef {
  const owner = login(repo?.owner) ?? repo?.full_name?.split('/')[0];
  const name = repo?.name ?? repo?.full_name?.split('/')[1];
  if (!owner || !name) throw invalid(`${what}.owner.login / ${what}.name`);
  return { owner, name, ...(repo?.id !== undefined ? { id: String(repo.id) } : {}) };
}

export interface ParseInput {
  forge: string;
  deliveryId: string;
  /** X-Forgejo-Event: the coarse event (push, pull_request, issue_comment, …). */
  event: string;
  /** X-Forgejo-Event-Type: the fine one (pull_request_sync, pull_request_comment, …). */
  eventType: string | undefined;
  body: unknown;
}

/** Normalises one verified delivery into the kernel's ForgeEvent, or says why it is ignored. */
export function parseDelivery(input: ParseInput): Parsed {
  const base = { deliveryId: input.deliveryId, forge: input.forge };
  if (typeof input.body !== 'object' || input.body === null) throw invalid('a JSON object body');
  switch (input.event) {
    case 'push':
      return parsePush(base, input.body as PushPayload);
    case 'pull_request':
      return parsePullRequest(base, input.body as PullRequestPayload);
    case 'issue_comment':
      return parseComment(base, input.body as IssueCommentPayload);
    default:
      return ignored(`${input.event}${input.eventType && input.eventType !== input.event ? ` (${input.eventType})` : ''} events do not concern Helios`);
  }
}

type Base = { deliveryId: string; forge: string };

function parsePush(base: Base, p: PushPayload): Parsed {
  if (!p.ref || !p.after || p.before === undefined) throw invalid('ref / before / after');
  // A deleted branch has nothing to build.
  if (ZERO_SHA.test(p.after)) return ignored(`${p.ref} was deleted`);
  const commits = p.commits ?? [];
  // Forgejo lists at most PAYLOAD_COMMIT_LIMIT (15) commits; with more, the file list would be
  // partial, and a partial list could wrongly skip a `paths:`-filtered workflow: say "unknown".
  const complete = typeof p.total_commits === 'number' && p.total_commits <= commits.length;
  const changedFiles = complete ? [...new Set(commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]))].sort() : undefined;
  return {
    event: {
      ...base,
      kind: 'push',
      repo: repoRef(p.repository),
      ref: p.ref,
      before: p.before,
      after: p.after,
      ...(changedFiles ? { changedFiles } : {}),
      sender: login(p.sender) ?? login(p.pusher) ?? '',
      ...defaultBranchOf(p.repository),
    },
  };
}

/** Forgejo's PR actions that mean "there is (new) code to build", with GitHub's names for them. */
const PR_ACTIONS: Record<string, string> = {
  opened: 'opened',
  reopened: 'reopened',
  // Forgejo says `synchronized`; workflows say `types: [synchronize]` as on GitHub.
  synchronized: 'synchronize',
};

function parsePullRequest(base: Base, p: PullRequestPayload): Parsed {
  const action = PR_ACTIONS[p.action ?? ''];
  if (!action) return ignored(`pull_request action "${p.action}" does not start runs`);
  const pr = p.pull_request;
  const number = p.number ?? pr?.number;
  const head = pr?.head;
  if (!pr || typeof number !== 'number' || !head?.sha || !head.ref || !pr.base?.ref) throw invalid('pull_request.head / base / number');
  const repo = repoRef(p.repository);
  const baseRepo = pr.base.repo ?? p.repository;
  // A head repository that is gone (deleted fork) counts as a fork: its commits still live in the
  // base repository under refs/pull/N/head, which is where Helios then reads them.
  const headRepo = head.repo ? repoRef(head.repo, 'pull_request.head.repo') : repo;
  const fromFork = !head.repo || fullName(head.repo) !== fullName(baseRepo);
  return {
    event: {
      ...base,
      kind: 'pullRequest',
      repo,
      number,
      action,
      head: { sha: head.sha, ref: head.ref, repo: headRepo },
      base: { ref: pr.base.ref },
      fromFork,
      author: login(pr.user) ?? login(p.sender) ?? '',
      ...(typeof pr.updated_at === 'string' && pr.updated_at ? { updatedAt: pr.updated_at } : {}),
      ...defaultBranchOf(p.repository),
    },
  };
}

const fullName = (r: ForgejoRepository | null | undefined): string => (r?.full_name ?? `${login(r?.owner)}/${r?.name}`).toLowerCase();

function parseComment(base: Base, p: IssueCommentPayload): Parsed {
  if (p.action !== 'created') return ignored(`issue_comment action "${p.action}" is not a new comment`);
  const isPull = p.is_pull === true || (p.issue?.pull_request !== undefined && p.issue?.pull_request !== null);
  if (!isPull) return ignored('a comment on an issue, not on a pull request');
  if ((p.comment?.body ?? '').trim() !== APPROVE_COMMAND) return ignored('a comment that is not a Helios command');
  const sender = login(p.comment?.user) ?? login(p.sender);
  if (!sender || typeof p.issue?.number !== 'number') throw invalid('comment.user / issue.number');
  // Whether the sender may approve is the kernel's decision (permissionOf), not the parser's.
  const at = p.comment?.created_at;
  return { event: { ...base, kind: 'approve', repo: repoRef(p.repository), target: `pr:${p.issue.number}`, sender, ...(typeof at === 'string' && at ? { at } : {}) } };
}

/** `repository.default_branch` when the payload has a usable one (caches read that branch's entries). */
function defaultBranchOf(repository: ForgejoRepository | null | undefined): { defaultBranch?: string } {
  const name = (repository as { default_branch?: unknown } | null | undefined)?.default_branch;
  return typeof name === 'string' && /^[^\s]{1,255}$/.test(name) ? { defaultBranch: name } : {};
}
