/**
 * The host half of a sandbox's way out: a UNIX socket in the machine directory (bind-mounted into
 * the sandbox) whose every connection is piped to one fixed TCP address (the agent endpoint or the
 * egress proxy). The sandbox has no network of its own, so these sockets are all it can reach.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { HeliosError } from '@helios-ci/sdk';

/** sun_path is 108 bytes on Linux, with its terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** `host:port` (a bracketed IPv6 host allowed) → its parts, or null. */
export function splitHostPort(address: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export class HostRelay {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly path: string,
  ) {}

  /** Listens on `path` (mode 600 through the directory's 700) and forwards to `target` (`host:port`). */
  static async open(path: string, target: string): Promise<HostRelay> {
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw new HeliosError('E_PROVISION_FAILED', `runtime-local: the sandbox socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes (a UNIX socket limit); set config.workRoot to a shorter directory`);
    }
    const to = splitHostPort(target);
    if (!to) throw new HeliosError('E_PROVISION_FAILED', `runtime-local: ${JSON.stringify(target)} is not host:port; the sandbox cannot forward to it`);
    const server = createServer();
    const relay = new HostRelay(server, path);
    server.on('connection', (inside) => relay.pipe(inside, to.host, to.port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    // The machine's agent keeps the server busy; a relay alone must not keep a process alive.
    server.unref();
    return relay;
  }

  private pipe(inside: Socket, host: string, port: number): void {
    const outside = createConnection({ host, port });
    this.sockets.add(inside).add(outside);
    const end = () => {
      inside.destroy();
      outside.destroy();
      this.sockets.delete(inside);
      this.sockets.delete(outside);
    };
    inside.on('error', end).on('close', end);
    outside.on('error', end).on('close', end);
    inside.pipe(outside);
    outside.pipe(inside);
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}
