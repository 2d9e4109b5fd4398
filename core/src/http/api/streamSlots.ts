import { HeliosError } from '@helios-ci/sdk';

/**
 * Counts the live log streams open per job and per client address, so a handful of unauthenticated
 * readers cannot hold the server's event loop and sockets: past either limit, E_RATE_LIMITED (429).
 */
export class StreamSlots {
  private readonly perJob = new Map<string, number>();
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: { perJob: number; perClient: number }) {}

  /** Takes a slot for (job, client) or throws; the returned function gives it back (once). */
  acquire(jobId: string, client: string): () => void {
    const onJob = this.perJob.get(jobId) ?? 0;
    const fromClient = this.perClient.get(client) ?? 0;
    if (onJob >= this.limits.perJob) {
      throw new HeliosError('E_RATE_LIMITED', `job ${jobId} already has ${onJob} live log streams open (limits.logStreamsPerJob); close one, or read the log with GET /api/jobs/${jobId}/log`, {
        retryAfterMs: 5000,
      });
    }
    if (fromClient >= this.limits.perClient) {
      throw new HeliosError('E_RATE_LIMITED', `this client already has ${fromClient} live log streams open (limits.logStreamsPerClient); close one before opening another`, {
        retryAfterMs: 5000,
      });
    }
    this.perJob.set(jobId, onJob + 1);
    this.perClient.set(client, fromClient + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.decrement(this.perJob, jobId);
      this.decrement(this.perClient, client);
    };
  }

  private decrement(map: Map<string, number>, key: string): void {
    const n = (map.get(key) ?? 1) - 1;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }
}
