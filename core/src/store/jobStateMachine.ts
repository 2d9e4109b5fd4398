import { HeliosError, type JobState } from '@helios-ci/sdk';

export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'];

/**
 * Legal job transitions. `provisioning|running → queued` is the re-queue path (reconciliation after
 * a restart, when configured); it increments the attempt. Terminal states are final: a rerun is a
 * new job row, so the log and steps of an attempt are never overwritten.
 */
const LEGAL: Record<JobState, readonly JobState[]> = {
  queued: ['provisioning', 'cancelled', 'skipped', 'errored'],
  provisioning: ['running', 'queued', 'failed', 'cancelled', 'timed_out', 'errored'],
  running: ['queued', 'succeeded', 'failed', 'cancelled', 'timed_out', 'errored'],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  errored: [],
  skipped: [],
};

export function isTerminalJobState(state: JobState): boolean {
  return TERMINAL_JOB_STATES.includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return LEGAL[from].includes(to);
}

export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (canTransition(from, to)) return;
  const allowed = LEGAL[from];
  throw new HeliosError(
    'E_JOB_STATE',
    `job ${jobId} cannot go from ${from} to ${to}; ${allowed.length ? `from ${from} it may go to ${allowed.join(', ')}` : `${from} is final (a rerun creates a new job)`}`,
    { facts: { jobId, from, to } },
  );
}
