import { performance } from 'node:perf_hooks';

/**
 * The server's own event-loop lag: a timer due every `intervalMs` reports how late it ran. Lag is
 * what every request, agent message and UI stream waits on, and only the process itself can see it
 * apart from the host's scheduling (a probe from outside adds its own). The timer is unref'd.
 */
export class EventLoopLagSampler {
  private readonly timer: NodeJS.Timeout;
  private due: number;

  constructor(
    observe: (lateSeconds: number) => void,
    private readonly intervalMs = 20,
  ) {
    this.due = performance.now() + intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      observe(Math.max(0, now - this.due) / 1000);
      this.due = now + this.intervalMs;
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }
}
