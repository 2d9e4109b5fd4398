import type { JobSpec } from '@helios-ci/sdk';
import type { ActionTreeSource } from './actionTreeSource.js';

/** How a job ended, as the orchestrator records it (DESIGN §4 job states). */
export type JobConclusion = 'success' | 'failure' | 'cancelled' | 'timed_out' | 'errored';
export type LogStream = 'stdout' | 'stderr' | 'system';

/** A batch of complete, masked output lines of one step and stream. */
export interface LogBatch {
  /** The agent's sequence number; strictly increasing per job, never delivered twice. */
  seq: number;
  step: string;
  stream: LogStream;
  /** Unix ms when the first line was read by the agent. */
  ts: number;
  lines: string[];
  /** The same lines joined by "\n" (what the wire carries), for sinks that store text. */
  text: string;
}

export interface StepStartedEvent {
  seq: number;
  step: string;
  name: string;
  /** The enclosing composite step id, or null at the top level. */
  parent: string | null;
  ts: number;
}

export type StepResult = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface StepFinishedEvent {
  seq: number;
  step: string;
  /** Exit code of the step's process; null when there was none (skipped, builtin) or it was killed. */
  exit: number | null;
  outcome: StepResult;
  conclusion: StepResult;
  outputs: Record<string, string>;
  /** GITHUB_STEP_SUMMARY markdown; null when the step wrote none. */
  summary: string | null;
  ts: number;
}

export interface AnnotationEvent {
  seq: number;
  step: string;
  level: 'error' | 'warning' | 'notice';
  message: string;
  title: string | null;
  file: string | null;
  line: number | null;
  col: number | null;
  endLine: number | null;
  endColumn: number | null;
}

export interface JobFinishedEvent {
  conclusion: JobConclusion;
  outputs: Record<string, string>;
  /** Why, for anything but success; null otherwise. */
  reason: string | null;
}

/**
 * Where one job's events go (the orchestrator: store + reporter). The service calls the methods one
 * at a time, in the agent's order, and does not read further from the agent while a returned promise
 * is pending — that is the flow control: a slow sink slows the job's output, never grows a buffer.
 * Every string has been masked with the job's secret values (the agent masks too; this is defence in
 * depth). After onFinished or onLost nothing else is called.
 */
export interface JobSink {
  onStepStarted(event: StepStartedEvent): void | Promise<void>;
  onLog(batch: LogBatch): void | Promise<void>;
  onStepFinished(event: StepFinishedEvent): void | Promise<void>;
  onAnnotation(event: AnnotationEvent): void | Promise<void>;
  /** The agent reported the job's end (or the job was cancelled before an agent connected). */
  onFinished(event: JobFinishedEvent): void | Promise<void>;
  /** Optional: the job's agent said Hello for the first time (t3 of the machine timings). */
  onConnected?(): void;
  /** The agent went away (no heartbeat for heartbeatTimeoutMs, never connected, sink failure); the job is errored. */
  onLost(reason: string): void | Promise<void>;
}

export interface JobHandle {
  jobId: string;
  /** The one-job token for the agent bootstrap (MachineSpec.agent.token). Never log it. */
  token: string;
  /** Asks the agent to cancel (idempotent). Before an agent connected, the job ends as cancelled at once. */
  cancel(reason: string): void;
  /**
   * The job's host is gone (a remote runtime said so before the agent connected): the job ends as
   * lost now (sink.onLost, done = 'errored') and its token is refused from then on. Idempotent.
   */
  lose(reason: string): void;
  /** Settles once the job ended: the agent's conclusion, 'cancelled', or 'errored' when lost. Never rejects. */
  done: Promise<JobConclusion>;
}

/** What a previous process of the server kept about a job, to re-adopt it (AgentService.adoptJob). */
export interface AdoptJobOptions {
  /** jobTokenHash(token) of the token the job's agent holds. */
  tokenHash: string;
  /** The last seq the previous process delivered to the sink (and so stored). */
  lastSeq: number;
  /** When the token stops working (epoch ms); default: tokenTtlMs from now. */
  expiresAt?: number;
  /** The job's (new) egress proxy credential, as RegisterJobOptions.egressCredential. */
  egressCredential?: string;
}

export interface RegisterJobOptions {
  /** Token max age in ms from registration (default: the service's tokenTtlMs). */
  tokenTtlMs?: number;
  /** The job's egress proxy credential (`user:secret`), sent in every Welcome; absent: no proxy. */
  egressCredential?: string;
  /** Instead of egressCredential: the credential made from the new token's hash (jobTokenHash). */
  egressCredentialFor?: (tokenHash: string) => string;
}

/** The job an upload or download belongs to, as its token proved. */
export interface BlobJob {
  jobId: string;
  runId: string;
}

/** What an upload RPC answers (proto UploadResult). */
export interface UploadOutcome {
  size: number;
  /** False when nothing was kept (an immutable cache entry that exists), with the reason. */
  stored: boolean;
  reason: string;
}

/** A stored blob on its way to the agent. */
export interface BlobDownload {
  /** The matched cache key, or the artifact name. */
  name: string;
  size: number;
  /** Cache: the name is the primary key. */
  exact: boolean;
  /** The bytes; null for a lookup-only cache query. */
  data: AsyncIterable<Uint8Array> | null;
}

/**
 * Caches and artifacts for the agent RPCs (core's blobs module over a Storage backend). Every
 * `data` stream must be consumed, or thrown from, or the upload stalls; when it throws, nothing of
 * that upload is kept.
 */
export interface JobBlobs {
  saveCache(job: BlobJob, upload: { key: string; version: string; data: AsyncIterable<Uint8Array> }): Promise<UploadOutcome>;
  /** The entry actions/cache restores for `keys` (primary first), or null on a miss. */
  restoreCache(job: BlobJob, query: { keys: string[]; version: string; lookupOnly: boolean }): Promise<BlobDownload | null>;
  uploadArtifact(job: BlobJob, upload: { name: string; retentionDays: number; overwrite: boolean; data: AsyncIterable<Uint8Array> }): Promise<UploadOutcome>;
  /** An artifact of the job's run, or null when there is none of that name. */
  downloadArtifact(job: BlobJob, name: string): Promise<BlobDownload | null>;
  listArtifacts(job: BlobJob): Promise<{ name: string; size: number }[]>;
}

export interface AgentServiceOptions {
  /**
   * Start in re-adoption mode (a server that may restart under running jobs): unknown tokens get
   * UNAVAILABLE (the agent retries) instead of UNAUTHENTICATED until adoptionsDone() (default false).
   */
  awaitAdoptions?: boolean;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port; 0 (default) picks a free one — read it from start()'s result. */
  port?: number;
  /** The host:port agents are told to dial when it is not the bound one (server.agentEndpoint). */
  advertise?: string;
  /** How often the agent is told to heartbeat (default 5 s). */
  heartbeatIntervalMs?: number;
  /** No message from a job's agent for this long → onLost, job errored (default 60 s). */
  heartbeatTimeoutMs?: number;
  /** A registered job whose agent never connects within this → onLost (default 15 min; null = never). */
  connectTimeoutMs?: number | null;
  /** Default token max age (default 24 h). */
  tokenTtlMs?: number;
  /** Largest message accepted from an agent (default 4 MiB). */
  maxMessageBytes?: number;
  /** Caches and artifacts (a Storage backend); without it the cache and artifact RPCs answer UNIMPLEMENTED. */
  blobs?: JobBlobs | null;
  /** Remote actions' files for FetchAction; without it FetchAction answers NOT_FOUND. */
  actionTrees?: ActionTreeSource | null;
  /** Reserved for the orchestrator's logger; gets warnings about misbehaving agents. */
  onWarning?: (message: string, fields?: Record<string, unknown>) => void;
}

export type { JobSpec, ActionTreeSource };
