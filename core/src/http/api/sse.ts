import type { ServerResponse } from 'node:http';

export interface SseEvent {
  /** Sets the client's Last-Event-ID; events without one leave it as it was. */
  id?: string | number;
  event?: string;
  /** Serialised as JSON on one `data:` line (JSON.stringify escapes newlines). */
  data: unknown;
}

/**
 * A Server-Sent Events response: headers, events, keep-alive comments, and backpressure (a slow
 * client makes `send` wait for `drain` instead of buffering the whole log in memory).
 */
export class SseStream {
  private closed = false;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    options: { retryMs?: number; keepAliveMs?: number } = {},
  ) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: ${options.retryMs ?? 2000}\n\n`);
    // Idle proxies drop quiet connections; a comment line keeps it open and is ignored by EventSource.
    this.keepAlive = setInterval(() => this.res.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    this.keepAlive.unref();
    res.on('close', () => this.dispose());
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  async send(e: SseEvent): Promise<void> {
    return this.sendAll([e]);
  }

  /** Several events in one write (one syscall per page of log lines, not one per line). */
  async sendAll(events: readonly SseEvent[]): Promise<void> {
    if (this.isClosed || events.length === 0) return;
    let frame = '';
    for (const e of events) {
      if (e.id !== undefined) frame += `id: ${e.id}\n`;
      if (e.event) frame += `event: ${e.event}\n`;
      frame += `data: ${JSON.stringify(e.data)}\n\n`;
    }
    if (!this.res.write(frame)) await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  end(): void {
    if (!this.isClosed) this.res.end();
    this.dispose();
  }

  private dispose(): void {
    this.closed = true;
    clearInterval(this.keepAlive);
  }
}
