import type { HttpRequest } from '../http.js';

/** `owner/name` on one forge instance. */
export interface RepoRef {
  owner: string;
  name: string;
  /** Forge-specific numeric or string id, when the forge has one. */
  id?: string;
  /** Installation (GitHub App) the repository is reached through. */
  installationId?: string;
}

interface EventBase {
  /** The forge's delivery id; the kernel deduplicates on it. */
  deliveryId: string;
  /** The forge plugin instance the event came through. */
  forge: string;
}

export type ForgeEvent =
  /**
   * `defaultBranch` (push, pullRequest): the repository's default branch name as the delivery says
   * (`repository.default_branch`); absent when the forge does not say. Caches fall back on the
   * server's `caches.defaultBranch`.
   */
  | (EventBase & { kind: 'push'; repo: RepoRef; ref: string; before: string; after: string; changedFiles?: string[]; sender: string; defaultBranch?: string })
  | (EventBase & {
      kind: 'pullRequest';
      repo: RepoRef;
      number: number;
      action: string;
      head: { sha: string; ref: string; repo: RepoRef };
      base: { ref: string };
      fromFork: boolean;
      author: string;
      defaultBranch?: string;
      /**
       * When the forge last changed the pull request, as it says (ISO 8601): for `opened` and
       * `synchronize` the time its head commit arrived. An approval written before it did not see
       * this head (see the `approve` event's `at`).
       */
      updatedAt?: string;
    })
  /**
   * A re-run request. `checkId` is a job's id (the check's external id); without it, `sha` names
   * the commit whose latest run is re-run (a whole suite). Only senders with write access count.
   */
  | (EventBase & { kind: 'rerun'; repo: RepoRef; checkId?: string; suiteId?: string; sha?: string; scope: 'one' | 'failed' | 'all'; sender: string })
  /** Cancel one job (`checkId` = the job id). Only senders with write access count. */
  | (EventBase & { kind: 'cancel'; repo: RepoRef; checkId: string; sender: string })
  /**
   * Approve a held fork pull request. `target` is the awaiting-approval check's job id, or
   * `pr:<number>` (the newest held delivery of that pull request). The kernel checks the sender's
   * permission (write or admin) before anything runs. An approval is bound to what the approver
   * saw: `headSha` (the commit the approved check is on, when the forge says) must be the held
   * head, and `at` (when the approval was written, ISO 8601, forge clock) must be after the held
   * pull request's `updatedAt`; otherwise it approves nothing and the newer head needs its own.
   */
  | (EventBase & { kind: 'approve'; repo: RepoRef; target: string; sender: string; headSha?: string; at?: string })
  | (EventBase & { kind: 'installation'; action: string; installationId: string; repos: RepoRef[] })
  | (EventBase & { kind: 'ping' });

export interface WorkflowFile {
  /** Repository-relative path, e.g. `.github/workflows/ci.yml`. */
  path: string;
  content: string;
}

export interface ForgeCapabilities {
  /** Rich check runs (GitHub) rather than plain commit statuses (Forgejo). */
  checkRuns: boolean;
  annotations: boolean;
  /** The forge can show a live log tail in its UI. */
  liveLog: boolean;
  /** Buttons (re-run, cancel, approve) on the check. */
  actions: boolean;
  /** Largest log/summary text one update may carry. */
  maxLogChars: number;
  /** Content-creating requests per minute per installation the forge tolerates. */
  requestsPerMinute: number;
}

/** What the kernel knows of a job when it opens its check. */
export interface CheckJob {
  jobId: string;
  runId: string;
  repo: RepoRef;
  sha: string;
  workflowName: string;
  jobName: string;
  detailsUrl: string;
  /** Fork PRs awaiting approval open as action_required with an approve action. */
  awaitingApproval?: boolean;
  /**
   * Repository path of the job's workflow file (e.g. `.github/workflows/ci.yml`), when known.
   * Forges that need a file for every annotation (GitHub) pin file-less annotations to it.
   */
  workflowFile?: string;
}

/** Opaque to the kernel; persisted in the store so a restart can keep updating the same check. */
export interface CheckHandle {
  forge: string;
  id: string;
  data?: Record<string, unknown>;
}

export interface CheckUpdate {
  status: 'queued' | 'in_progress';
  /** `Step n/m: name`. */
  title: string;
  /** Markdown summary (steps table). */
  summary: string;
  /** Log tail already cut to `maxLogChars` with a truncation marker. */
  text?: string;
  /**
   * How many annotations the job has produced so far, all of them (whether sent through
   * `annotate()` or listed in the summary). Set by the kernel's reporter on every update and close
   * of a job's check; absent on checks that belong to no job (invalid workflow, approval). Forges
   * that cannot show annotations (commit statuses) state the count from here, never by parsing
   * `summary`, whose markdown is not a contract.
   */
  annotationCount?: number;
}

/** What the kernel tells `Forge.annotate` besides the annotations. */
export interface AnnotateOptions {
  /**
   * How many annotations earlier `annotate` calls put on this check. A forge whose annotations
   * append (GitHub) tells from it whether this batch already landed on an attempt whose answer was
   * lost, without listing what it sent. Absent: the forge must find out another way.
   */
  alreadySent?: number;
}

export interface Annotation {
  level: 'notice' | 'warning' | 'failure';
  message: string;
  file?: string;
  line?: number;
  endLine?: number;
  col?: number;
  endCol?: number;
  title?: string;
}

export type CheckConclusion = 'success' | 'failure' | 'cancelled' | 'timed_out' | 'action_required' | 'neutral' | 'skipped';

export interface CheckResult extends Omit<CheckUpdate, 'status'> {
  conclusion: CheckConclusion;
}

export type Permission = 'admin' | 'write' | 'read' | 'none';

export interface CloneAccessOptions {
  /** The run is trusted (not a fork pull request). Absent means untrusted: the safe side. */
  trusted: boolean;
}

/** One configured forge instance (GitHub, a GitHub Enterprise Server, Forgejo, Gitea, ...). */
export interface Forge {
  readonly id: string;
  readonly capabilities: ForgeCapabilities;
  /** Verify the signature in constant time over the raw bytes; null for events Helios ignores. */
  verifyAndParse(req: Pick<HttpRequest, 'headers' | 'rawBody'>): Promise<ForgeEvent | null>;
  fetchWorkflows(repo: RepoRef, sha: string): Promise<WorkflowFile[]>;
  /** One file at a commit (composite actions); null if absent. */
  fetchFile(repo: RepoRef, sha: string, path: string): Promise<string | null>;
  /**
   * A short-lived read-only credential for the agent's clone. For an untrusted run (an approved
   * fork pull request; `trusted` false or options absent) the answer must never carry a
   * write-capable credential: a read-only one, none (anonymous clone of a public repository) or an
   * error (E_FORGE_NO_READ_ONLY_CREDENTIAL).
   */
  cloneAccess(repo: RepoRef, options?: CloneAccessOptions): Promise<{ url: string; token?: string; expiresAt?: string }>;
  openCheck(job: CheckJob): Promise<CheckHandle>;
  updateCheck(handle: CheckHandle, update: CheckUpdate): Promise<void>;
  annotate(handle: CheckHandle, annotations: Annotation[], options?: AnnotateOptions): Promise<void>;
  closeCheck(handle: CheckHandle, result: CheckResult): Promise<void>;
  permissionOf(repo: RepoRef, user: string): Promise<Permission>;
  /**
   * Optional (remote actions, `uses: owner/repo@ref`): the commit `ref` (a branch, tag or sha) names
   * in `repo`; null when the repository or ref does not exist or the credentials cannot read it.
   */
  resolveRef?(repo: RepoRef, ref: string): Promise<string | null>;
  /**
   * Optional (remote actions): the repository at commit `sha` as a gzip-compressed tar whose entries
   * all sit under one top directory (GitHub's `owner-repo-sha7/`, Forgejo's `repo/`); null when absent.
   * Helios strips that directory when it caches the tree.
   */
  fetchArchive?(repo: RepoRef, sha: string): Promise<Uint8Array | null>;
  /**
   * Optional: the token a trusted job's steps get as GITHUB_TOKEN / `github.token` /
   * `secrets.GITHUB_TOKEN`: short-lived, for `repo` only, with exactly `permissions` (API scope
   * names such as `contents`, `pull_requests`; `metadata: read` is always implied). Never called for
   * untrusted runs. Throws (a HeliosError saying why) when the forge refuses those permissions.
   * Helios calls `revoke` when the job ends; the token expires by itself otherwise.
   */
  jobToken?(repo: RepoRef, permissions: Record<string, 'read' | 'write'>): Promise<JobToken>;
}

/** A job's forge token (Forge.jobToken). */
export interface JobToken {
  token: string;
  /** ISO 8601, when the forge says. */
  expiresAt?: string;
  /** Permissions the forge granted (may list `metadata`). */
  permissions: Record<string, string>;
  revoke(): Promise<void>;
}

/** What `ForgeAdmin.installHook` did. */
export interface InstalledHook {
  /** The forge's id of the webhook. */
  id: number;
  /** Where the forge now delivers: `<publicUrl>/hooks/<forge id>`. */
  url: string;
  events: string[];
  /** false when a webhook with the same URL existed and was updated instead. */
  created: boolean;
}

/**
 * Optional administrative actions a Forge object may also offer, for CLI commands such as
 * `helios forgejo install-hook`. The kernel never calls them while serving; a forge without them
 * (e.g. a GitHub App, whose webhook belongs to the App) simply does not implement them.
 */
export interface ForgeAdmin {
  /** Creates (or updates, if one with the same URL exists) the webhook of `repo` (`owner/name`). */
  installHook(input: { repo: string; publicUrl: string }): Promise<InstalledHook>;
}

/** True when the forge offers the ForgeAdmin actions. */
export function isForgeAdmin(forge: Forge): forge is Forge & ForgeAdmin {
  return typeof (forge as Partial<ForgeAdmin>).installHook === 'function';
}
