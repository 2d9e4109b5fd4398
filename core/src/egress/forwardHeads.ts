/**
 * The two HTTP/1.x message heads a forwarding proxy rewrites itself (RFC 9110 §7.6.1, RFC 9112):
 * the request it sends upstream and the response head it passes back. Node's server parses the
 * client's request; the upstream response is read from the raw socket so that its body can be relayed
 * without the HTTP client's stream layer (that layer cost 4× the CPU per byte of a tunnel). Both heads
 * lose the hop-by-hop fields — the fixed list and every field the Connection header names — and both
 * connections end after one exchange (`Connection: close`): the response body, whatever its framing
 * (Content-Length, chunked or until close), is copied verbatim and ends when the origin closes.
 */
import type { IncomingMessage } from 'node:http';
import { HeliosError } from '@helios-ci/sdk';

/** Hop-by-hop and proxy fields never passed on. Transfer-Encoding is handled by the caller. */
const HOP = new Set(['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'expect']);

/** A response head larger than this is refused (Node's own default limit for headers is 16 KiB). */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** Field names a message's Connection header declares hop-by-hop (lower case). */
function connectionTokens(raw: readonly string[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  return named;
}

/**
 * The upstream request head for a forwarded request. The body keeps the client's framing when it
 * had a Content-Length; a chunked body arrives de-chunked from Node's parser and `chunked` tells the
 * caller to frame it again. (Expect was answered to the client by Node already.)
 */
export function upstreamRequestHead(req: IncomingMessage, path: string): { head: string; chunked: boolean } {
  const raw = req.rawHeaders;
  const named = connectionTokens(raw);
  const chunked = /\bchunked\b/i.test(String(req.headers['transfer-encoding'] ?? ''));
  let head = `${req.method} ${path} HTTP/${req.httpVersion === '1.0' ? '1.0' : '1.1'}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP.has(name) || named.has(name) || name === 'transfer-encoding') continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  if (chunked) head += 'Transfer-Encoding: chunked\r\n';
  return { head: `${head}Connection: close\r\n\r\n`, chunked };
}

export interface ResponseHead {
  /** The head to send to the client, ending in CRLF CRLF. */
  head: Buffer;
  status: number;
}

/**
 * Reads response heads from the start of an upstream stream. `push` takes the bytes read so far (a
 * copy it may keep); it returns null until a final (non-1xx) head is complete, then the heads to send
 * (interim 1xx heads included, in order) and the body bytes that came with them.
 */
export class ResponseHeadReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly out: Buffer[] = [];

  push(bytes: Buffer): { heads: Buffer; rest: Buffer; status: number } | null {
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    for (;;) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.pending.length > MAX_RESPONSE_HEAD) throw new HeliosError('E_EGRESS_UPSTREAM_HEAD', `the origin's response head is over ${MAX_RESPONSE_HEAD} bytes`);
        return null;
      }
      const parsed = rewriteResponseHead(this.pending.subarray(0, end).toString('latin1'));
      this.pending = this.pending.subarray(end + 4);
      this.out.push(parsed.head);
      if (parsed.status >= 200 || parsed.status === 101) return { heads: Buffer.concat(this.out), rest: this.pending, status: parsed.status };
    }
  }
}

/** One response head (without its final CRLF CRLF) as the client gets it. Latin-1 keeps any byte as is. */
export function rewriteResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
  if (!m) throw new HeliosError('E_EGRESS_UPSTREAM_HEAD', `the origin did not answer with an HTTP/1.x status line (got ${JSON.stringify(lines[0]!.slice(0, 60))})`);
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    // No obsolete line folding (RFC 9112 §5.2 lets a proxy reject it) and no field without a name.
    if (colon <= 0 || /^[ \t]/.test(line) || /[ \t]/.test(line.slice(0, colon))) throw new HeliosError('E_EGRESS_UPSTREAM_HEAD', `the origin sent a malformed header line ${JSON.stringify(line.slice(0, 60))}`);
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const named = connectionTokens(fields.flat());
  let head = `${lines[0]}\r\n`;
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (HOP.has(lower) || named.has(lower)) continue;
    head += `${name}: ${value}\r\n`;
  }
  const status = Number(m[1]);
  if (status >= 200) head += 'Connection: close\r\n';
  return { head: Buffer.from(`${head}\r\n`, 'latin1'), status };
}
