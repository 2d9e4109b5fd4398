/**
 * One credential per job for the egress proxy: minted when the job is registered, refused from the
 * moment the job ends (revoke). Only a hash of the secret is kept, looked up in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JobEgressPolicy } from './egressPolicy.js';

export interface EgressConnection {
  jobId: string;
  /** CONNECT, or the HTTP method of a forwarded request. */
  method: string;
  /** host:port asked for. */
  target: string;
  allowed: boolean;
  /** Refused: why, naming the rule and the key that would allow it. */
  reason?: string;
  /** Bytes both ways (0 when refused). */
  bytes: number;
  ms: number;
}

export interface EgressGrant {
  jobId: string;
  user: string;
  policy: JobEgressPolicy;
  /** host:port pairs the job needs whatever the policy (its clone origin); private addresses allowed. */
  implicit: readonly { host: string; port: number }[];
  report(connection: EgressConnection): void;
}

export interface MintedGrant {
  /** `user:secret` for Proxy-Authorization: Basic. */
  credential: string;
  revoke(): void;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();

export class EgressGrants {
  private readonly byHash = new Map<string, EgressGrant>();

  mint(grant: Omit<EgressGrant, 'user'>): MintedGrant {
    const user = `job-${grant.jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const secret = randomBytes(32).toString('base64url');
    const key = hash(secret).toString('hex');
    this.byHash.set(key, { ...grant, user });
    return { credential: `${user}:${secret}`, revoke: () => void this.byHash.delete(key) };
  }

  /** The grant a `Proxy-Authorization` header value proves, or null (missing, malformed, unknown or revoked). */
  check(header: string | undefined): EgressGrant | null {
    const m = /^Basic\s+([A-Za-z0-9+/=_-]+)$/i.exec(header?.trim() ?? '');
    if (!m) return null;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const user = decoded.slice(0, colon);
    const digest = hash(decoded.slice(colon + 1));
    const grant = this.byHash.get(digest.toString('hex'));
    if (!grant) return null;
    const a = Buffer.from(user);
    const b = Buffer.from(grant.user);
    return a.length === b.length && timingSafeEqual(a, b) ? grant : null;
  }

  get size(): number {
    return this.byHash.size;
  }
}
