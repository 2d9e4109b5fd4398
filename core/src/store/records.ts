/** The shapes the store hands out. Timestamps are epoch milliseconds from the store's clock. */
import type { CheckHandle, CheckJob, JobPlan, JobState, RepoRef, RunPlan } from '@helios-ci/sdk';

export type InboxStatus = 'received' | 'planned' | 'failed';

export interface InboxRecord {
  id: number;
  forge: string;
  deliveryId: string;
  /** The ForgeEvent kind (`push`, `pullRequest`, ...). */
  kind: string;
  payload: unknown;
  status: InboxStatus;
  error: string | null;
  receivedAt: number;
  updatedAt: number;
}

export type RunState = 'running' | 'completed';
export type RunConclusion = 'success' | 'failure' | 'cancelled';

export interface RunRecord {
  id: string;
  inboxId: number | null;
  /** Forge instance id, or null for a local `helios run`. */
  forge: string | null;
  repo: RepoRef;
  sha: string;
  ref: string;
  event: string;
  /** False for untrusted runs (fork PRs): no secrets. */
  trusted: boolean;
  plan: RunPlan;
  state: RunState;
  conclusion: RunConclusion | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface JobRecord {
  id: string;
  runId: string;
  /** JobPlan.id (`<file>#<key> (<matrix>)`), unique within the run. */
  planId: string;
  name: string;
  plan: JobPlan;
  state: JobState;
  /** 1 on creation; +1 each time the job is re-queued. */
  attempt: number;
  /** Why the job ended (or was re-queued): `step 3 exited 1`, `agent lost`, ... */
  reason: string | null;
  outputs: Record<string, string> | null;
  createdAt: number;
  /** Entered `provisioning`. */
  provisioningAt: number | null;
  /** Entered `running`. */
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export type StepState = 'pending' | 'running' | 'completed';
export type StepConclusion = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface StepRecord {
  jobId: string;
  /** 1-based step number, as in `job.step` events. */
  idx: number;
  name: string;
  state: StepState;
  conclusion: StepConclusion | null;
  startedAt: number | null;
  finishedAt: number | null;
}

/** `console`: a VM's serial console before (and around) its agent's Hello, from Runtime.console. */
export type LogStreamName = 'stdout' | 'stderr' | 'system' | 'console' | 'egress';

export interface LogLineInput {
  step: number;
  stream: LogStreamName;
  ts: number;
  text: string;
}

export interface LogLine extends LogLineInput {
  jobId: string;
  /** 1-based, contiguous per job, in append order. */
  seq: number;
}

export type CheckState = 'opening' | 'open' | 'closed';

export interface CheckRecord {
  id: string;
  jobId: string | null;
  forge: string;
  /** `<forge>/<installation>`: the rate budget this check's requests count against. */
  budgetKey: string;
  checkJob: CheckJob;
  handle: CheckHandle | null;
  state: CheckState;
  createdAt: number;
  updatedAt: number;
}

export type OutboxKind = 'open' | 'update' | 'annotate' | 'close';
export type OutboxState = 'pending' | 'sending' | 'done' | 'dead' | 'superseded';

export interface OutboxRow {
  id: number;
  checkId: string;
  /** Per-check order, 1-based; rows of one check are delivered strictly in this order. */
  seq: number;
  kind: OutboxKind;
  payload: unknown;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  doneAt: number | null;
}

/** One artifact of a run (actions/upload-artifact); the bytes are the blob `blobId` in Storage. */
export interface ArtifactRecord {
  runId: string;
  /** The job that uploaded it (last, when overwritten). */
  jobId: string;
  /** Unique within the run. */
  name: string;
  blobId: string;
  size: number;
  createdAt: number;
  /** After this (epoch ms) it is gone: not listed, not served, pruned. */
  expiresAt: number;
}

/** One actions/cache entry; immutable once saved except for last_used_at. */
export interface CacheEntryRecord {
  id: number;
  /** `forge/owner/name` (`local/...` for `helios run`). */
  repo: string;
  /** The ref whose run wrote it: `refs/heads/main`, `refs/pull/7/merge`. */
  scope: string;
  /** False when an untrusted run (fork pull request) wrote it: trusted runs never read it. */
  trusted: boolean;
  key: string;
  version: string;
  blobId: string;
  size: number;
  createdAt: number;
  lastUsedAt: number;
}
