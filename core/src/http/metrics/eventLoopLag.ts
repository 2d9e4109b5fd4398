import { performance } from 'node:perf_hooks';

/**
 * The server's own event-loop lag: a timer due every `intervalMs` reports how late it ran. Lag is
 * what every request, agent message and UI stream waits on, and only the process itself can see it
 * apart from the probe's own delays. It is also split by cause: the part the process spent on CPU
 * (its own work holding the loop: CPU time in the interval beyond the interval itself) and the rest
 * (waiting for a CPU on a busy host). The CPU figure is the whole process's, thread pool included,
 * so "own" errs towards blaming the server. The timer is unref'd.
 */
export class EventLoopLagSampler {
  private readonly timer: NodeJS.Timeout;
  private due: number;
  private cpu = process.cpuUsage();

  constructor(
    observe: (lateSeconds: number, ownSeconds: number) => void,
    private readonly intervalMs = 20,
  ) {
    this.due = performance.now() + intervalMs;
    this.timer = setInterval(() => {
      const now = performance.now();
      const cpu = process.cpuUsage();
      const cpuMs = (cpu.user - this.cpu.user + cpu.system - this.cpu.system) / 1000;
      const late = Math.max(0, now - this.due);
      observe(late / 1000, Math.min(late, Math.max(0, cpuMs - this.intervalMs)) / 1000);
      this.cpu = cpu;
      this.due = now + this.intervalMs;
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }
}
