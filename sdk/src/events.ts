import type { JobPlan, RunPlan } from './plan.js';
import type { Annotation } from './interfaces/forge.js';

export type JobState = 'queued' | 'provisioning' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'errored' | 'skipped';

/** The kernel's typed event bus: event name → payload. */
export interface KernelEvents {
  'kernel.started': { plugins: string[] };
  'kernel.stopping': { reason: string };
  'run.planned': { runId: string; plan: RunPlan };
  'job.queued': { runId: string; jobId: string; job: JobPlan };
  'job.started': { runId: string; jobId: string };
  'job.step': { runId: string; jobId: string; step: number; name: string; state: 'started' | 'finished'; conclusion?: string };
  'job.log': { runId: string; jobId: string; step: number; lines: string[] };
  'job.annotation': { runId: string; jobId: string; annotation: Annotation };
  'job.finished': { runId: string; jobId: string; state: JobState; reason?: string };
  'run.finished': { runId: string; conclusion: 'success' | 'failure' | 'cancelled' };
  /** A runtime's destroy failed (after a job or during reconciliation): something of the machine may remain. */
  'machine.teardownFailed': { runtime: string; machine: string; jobId: string | null; error: string };
  /** One connection (or forwarded request) through the egress proxy, allowed or refused, when it ended. */
  'egress.connection': { jobId: string; allowed: boolean; bytes: number; ms: number };
}

export interface EventBus {
  on<K extends keyof KernelEvents>(event: K, listener: (payload: KernelEvents[K]) => void): () => void;
  emit<K extends keyof KernelEvents>(event: K, payload: KernelEvents[K]): void;
}
