/**
 * The guest's serial console: bhyve listens on `<zonepath>/root/tmp/vm.com1` (one client; output is
 * dropped while nobody is connected), so we connect as soon as `zoneadm boot` returns, retrying until
 * the socket exists, and keep the one connection for the machine's life. Lines are buffered for
 * whoever iterates `lines()` (the orchestrator's job log).
 */
import { connect, type Socket } from 'node:net';

const TAIL_LINES = 30;

export class ConsoleStream {
  private socket: Socket | null = null;
  private closed = false;
  private partial = '';
  private readonly buffered: string[] = [];
  /** The last lines seen, for a failure's report (the job log has them all). */
  private readonly recent: string[] = [];
  private wake: (() => void) | null = null;
  private firstByte: (() => void) | null;

  constructor(
    private readonly path: string,
    onFirstByte: () => void,
    private readonly retryMs = 50,
  ) {
    this.firstByte = onFirstByte;
    this.attempt();
  }

  private attempt(): void {
    if (this.closed) return;
    const s = connect(this.path);
    s.setEncoding('utf8');
    s.once('connect', () => (this.socket = s));
    s.on('data', (chunk: string) => {
      this.firstByte?.();
      this.firstByte = null;
      this.push(chunk);
    });
    s.on('error', () => undefined);
    s.once('close', () => {
      const wasConnected = this.socket === s;
      this.socket = null;
      // Not there yet (ENOENT, ECONNREFUSED): try again; a connection that ended is the VM stopping.
      if (!wasConnected && !this.closed) setTimeout(() => this.attempt(), this.retryMs).unref();
      else this.end();
    });
  }

  private push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    this.buffered.push(...parts);
    this.recent.push(...parts);
    if (this.recent.length > TAIL_LINES) this.recent.splice(0, this.recent.length - TAIL_LINES);
    this.wake?.();
  }

  /** The console's last lines (and the unterminated one), oldest first. */
  tail(): string[] {
    return this.partial ? [...this.recent, this.partial] : [...this.recent];
  }

  private end(): void {
    if (this.partial) this.buffered.push(this.partial);
    this.partial = '';
    this.closed = true;
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.end();
  }

  async *lines(): AsyncIterable<string> {
    for (;;) {
      while (this.buffered.length) yield this.buffered.shift()!;
      if (this.closed) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}
