/**
 * When a job's agent counts as lost: it never connected within connectTimeoutMs of registration,
 * or nothing came from it for heartbeatTimeoutMs. A job whose sink is busy is never judged (the
 * service is not reading the agent then, so silence is ours, not the agent's).
 */
import type { JobState } from './jobState.js';

export interface WatchdogLimits {
  heartbeatTimeoutMs: number;
  connectTimeoutMs: number | null;
  /** Where agents dial, for the never-connected advice. */
  endpoint: string | null;
}

/** Why `job` is lost at `now`, or null while it is alive (or ended, or its sink is busy). */
export function lostReason(job: JobState, now: number, limits: WatchdogLimits): string | null {
  if (job.ended || job.sinkBusy) return null;
  if (!job.everConnected) {
    if (limits.connectTimeoutMs !== null && now - job.registeredAt > limits.connectTimeoutMs) {
      return `the agent never connected within ${(limits.connectTimeoutMs / 1000).toFixed(1)} s of registration; check the runtime's console output and that the machine can reach ${limits.endpoint ?? 'the agent endpoint'}`;
    }
    return null;
  }
  const silent = now - job.lastActivity;
  if (silent > limits.heartbeatTimeoutMs) {
    const why = job.lastDisconnect ? ` (stream ${job.lastDisconnect})` : ' (session still open but silent)';
    return `no heartbeat from the agent for ${(silent / 1000).toFixed(1)} s${why}; the machine or agent process died or lost its network`;
  }
  return null;
}

/** How often the service runs the watchdog: a fifth of the timeout, within [20 ms, 1 s]. */
export function watchdogTickMs(heartbeatTimeoutMs: number): number {
  return Math.max(20, Math.min(1000, Math.floor(heartbeatTimeoutMs / 5)));
}
