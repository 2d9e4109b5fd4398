/**
 * The egress proxy: an HTTP/1.1 forward proxy (CONNECT tunnels and absolute-URI forwarding, RFC 9110
 * §9.3.6 and §7.1) on Node's http module, which parses the protocol; this file only authenticates,
 * decides and copies bytes. Every request — allowed or refused — is reported to its job's grant.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { decideAddresses, decideByName, type Decision } from './egressDecision.js';
import { relayInto } from './socketRelay.js';
import { ResponseHeadReader, upstreamRequestHead } from './forwardHeads.js';
import { HeliosError } from '@helios-ci/sdk';
import type { EgressGrant, EgressGrants } from './egressGrants.js';

export type Resolver = (host: string) => Promise<string[]>;

export interface EgressProxyOptions {
  grants: EgressGrants;
  /** Fixed answers (egress.hosts) consulted before DNS. */
  hosts?: Readonly<Record<string, string>>;
  /** DNS (default: the system resolver, every answer). */
  resolve?: Resolver;
  /** Unauthenticated or failing requests that belong to no job (server log). */
  onWarning?: (message: string, fields: Record<string, unknown>) => void;
}


const systemResolve: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class EgressProxy {
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly resolve: Resolver;

  constructor(private readonly o: EgressProxyOptions) {
    const base = o.resolve ?? systemResolve;
    const hosts = new Map(Object.entries(o.hosts ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    this.resolve = async (host) => (isIP(host) ? [host] : hosts.has(host.toLowerCase()) ? [hosts.get(host.toLowerCase())!] : base(host));
    this.server = http.createServer((req, res) => void this.forward(req, res));
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => void this.tunnel(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (_err, socket: Socket) => socket.destroy());
    // A forwarded upload may take longer than Node's default 5 minutes per request; headers may not.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 30_000;
  }

  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Authenticates and decides: the grant and the address to dial, or the refusal already answered. */
  private async admit(req: IncomingMessage, method: string, host: string, port: number, refuse: (status: number, text: string, headers?: Record<string, string>) => void): Promise<{ grant: EgressGrant; address: string; started: number } | null> {
    const started = Date.now();
    const grant = this.o.grants.check(req.headers['proxy-authorization']);
    if (!grant) {
      this.o.onWarning?.('egress proxy: request without a valid job credential refused', { method, target: `${host}:${port}`, from: req.socket.remoteAddress });
      refuse(407, 'Helios egress proxy: a valid job credential is needed (Proxy-Authorization: Basic); jobs get theirs in HTTPS_PROXY, and it stops working when the job ends\n', {
        'Proxy-Authenticate': 'Basic realm="helios egress"',
      });
      return null;
    }
    const target = `${host}:${port}`;
    const deny = (reason: string) => {
      grant.report({ jobId: grant.jobId, method, target, allowed: false, reason, bytes: 0, ms: Date.now() - started });
      refuse(403, `Helios egress proxy refused ${method} ${target}: ${reason}\n`);
      return null;
    };
    if (!(port >= 1 && port <= 65535) || host === '') return deny('the target is not host:port');
    const byName: Decision = decideByName(grant, host, port);
    if (!byName.ok) return deny(byName.reason);
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      return deny(`${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (addresses.length === 0) return deny(`${host} has no addresses`);
    const byAddress = decideAddresses(grant, host, addresses, byName.explicitAddress);
    if (!byAddress.ok) return deny(byAddress.reason);
    return { grant, address: addresses[0]!, started };
  }

  private async tunnel(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => client.destroy());
    const { host, port } = splitTarget(req.url ?? '');
    const refuse = (status: number, text: string, headers: Record<string, string> = {}) => {
      const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      client.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`);
    };
    const admitted = await this.admit(req, 'CONNECT', host, port, refuse);
    if (!admitted) return;
    const { grant, address, started } = admitted;
    const upstream: Socket = net.connect({ host: address, port, noDelay: true, onread: relayInto(client, () => upstream) });
    let connected = false;
    const finish = reportOnce(grant, 'CONNECT', `${host}:${port}`, started, upstream);
    upstream.once('connect', () => {
      connected = true;
      client.setNoDelay(true);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      // Downloads go through relayInto (the upstream's onread); uploads, rarely the bulk, through pipe.
      client.pipe(upstream);
    });
    // The origin's end of stream: the client gets what is queued, then FIN (a destroy would cut it).
    upstream.once('end', () => client.end());
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        finish(`upstream ${err.code ?? err.message}`);
        refuse(502, `Helios egress proxy: ${host}:${port} (${address}) could not be reached: ${err.code ?? err.message}\n`);
      } else client.destroy();
    });
    upstream.on('close', () => finish());
    client.on('close', () => upstream.destroy());
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      url = new URL('invalid:');
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Helios egress proxy: forward requests need an absolute http:// URL; use CONNECT for https (got ${JSON.stringify((req.url ?? '').slice(0, 100))})\n`);
      return;
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : 80;
    const refuse = (status: number, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...headers });
      res.end(text);
    };
    const admitted = await this.admit(req, req.method ?? 'GET', host, port, refuse);
    if (!admitted) {
      req.resume();
      return;
    }
    const { grant, address, started } = admitted;
    const client = req.socket;
    // A pipelined second request on this connection would land in the middle of a raw response.
    if (rawClients.has(client)) return void client.destroy();
    rawClients.add(client);
    const { head, chunked } = upstreamRequestHead(req, `${url.pathname}${url.search}`);
    const reader = new ResponseHeadReader();
    let answered = false;
    // The response head is rewritten here; its body is copied verbatim to the client's socket,
    // bypassing `res` (the exchange ends with the connection: see forwardHeads.ts).
    const upstream: Socket = net.connect({
      host: address,
      port,
      noDelay: true,
      onread: relayInto(client, () => upstream, (bytes) => {
        const got = reader.push(bytes);
        if (!got) return undefined;
        answered = true;
        return got.rest.length ? Buffer.concat([got.heads, got.rest]) : got.heads;
      }),
    });
    const report = reportOnce(grant, req.method ?? 'GET', `${host}:${port}`, started, upstream);
    upstream.once('connect', () => {
      client.setNoDelay(true);
      upstream.write(head);
      sendBody(req, upstream, chunked);
    });
    upstream.once('end', () => {
      report(answered ? undefined : 'upstream closed without a response');
      if (answered) client.end();
      else refuse(502, `Helios egress proxy: ${host}:${port} (${address}) closed the connection without a response\n`);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const why = err instanceof HeliosError ? err.message : (err.code ?? err.message);
      report(`upstream ${why}`);
      if (!answered && !res.headersSent && !client.destroyed) refuse(502, `Helios egress proxy: ${host}:${port} (${address}): ${why}\n`);
      else client.destroy();
    });
    upstream.on('close', () => report());
    client.once('close', () => upstream.destroy());
  }
}

/** Reports an allowed connection once, when it ends (or fails): bytes from the upstream socket's counters. */
function reportOnce(grant: EgressGrant, method: string, target: string, started: number, upstream: Socket): (error?: string) => void {
  let done = false;
  return (error) => {
    if (done) return;
    done = true;
    grant.report({ jobId: grant.jobId, method, target, allowed: true, ...(error ? { reason: error } : {}), bytes: upstream.bytesRead + upstream.bytesWritten, ms: Date.now() - started });
  };
}

/** Client connections whose (one) response is being relayed raw. */
const rawClients = new WeakSet<Socket>();

/** The request body upstream: as it came (Content-Length), or framed again in chunks (RFC 9112 §7.1). */
function sendBody(req: IncomingMessage, upstream: Socket, chunked: boolean): void {
  req.on('data', (d: Buffer) => {
    // Every part of a chunk is written whatever the buffer says (a short-circuit would drop bytes).
    if (chunked) {
      upstream.write(`${d.length.toString(16)}\r\n`);
      upstream.write(d);
    }
    if (!upstream.write(chunked ? '\r\n' : d)) {
      req.pause();
      upstream.once('drain', () => req.resume());
    }
  });
  req.once('end', () => {
    if (chunked) upstream.write('0\r\n\r\n');
  });
}

/** `host:port` or `[v6]:port` of a CONNECT request line. */
export function splitTarget(target: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(target);
  return m ? { host: (m[1] ?? m[2])!, port: Number(m[3]) } : { host: '', port: 0 };
}
