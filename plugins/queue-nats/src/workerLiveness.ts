/**
 * When control last heard from each worker (a claim, a status poll, a machine event). Silence counts
 * only while control itself is connected to NATS: an outage silences every worker at once, so after
 * a reconnect each one gets the full bound again instead of all being judged lost together.
 */
export class WorkerLiveness {
  private readonly lastHeard = new Map<string, number>();
  private connected = true;
  private connectedSince: number;

  constructor(private readonly now: () => number = Date.now) {
    this.connectedSince = now();
  }

  heard(worker: string): void {
    this.lastHeard.set(worker, this.now());
  }

  disconnected(): void {
    this.connected = false;
  }

  reconnected(): void {
    this.connected = true;
    this.connectedSince = this.now();
  }

  /** How long `worker` has been silent since `since` as far as control can tell (0 while control is cut off). */
  silentMs(worker: string, since: number): number {
    if (!this.connected) return 0;
    return this.now() - Math.max(this.lastHeard.get(worker) ?? since, this.connectedSince, since);
  }
}
