/**
 * The parts of Forgejo's webhook payloads (modules/structs/hook.go) Helios reads. Everything is
 * optional here because the payload is untrusted input until checked field by field.
 */
export interface ForgejoUser {
  login?: string;
  username?: string;
}

export interface ForgejoRepository {
  id?: number;
  name?: string;
  full_name?: string;
  owner?: ForgejoUser;
  clone_url?: string;
}

export interface PushCommit {
  added?: string[];
  modified?: string[];
  removed?: string[];
}

export interface PushPayload {
  ref?: string;
  before?: string;
  after?: string;
  commits?: PushCommit[];
  total_commits?: number;
  repository?: ForgejoRepository;
  pusher?: ForgejoUser;
  sender?: ForgejoUser;
}

export interface PullRequestBranch {
  ref?: string;
  sha?: string;
  repo_id?: number;
  repo?: ForgejoRepository | null;
}

export interface PullRequestPayload {
  action?: string;
  number?: number;
  pull_request?: { number?: number; user?: ForgejoUser; head?: PullRequestBranch; base?: PullRequestBranch; updated_at?: string };
  repository?: ForgejoRepository;
  sender?: ForgejoUser;
}

export interface IssueCommentPayload {
  action?: string;
  issue?: { number?: number; pull_request?: unknown };
  comment?: { body?: string; user?: ForgejoUser; created_at?: string };
  is_pull?: boolean;
  repository?: ForgejoRepository;
  sender?: ForgejoUser;
}
