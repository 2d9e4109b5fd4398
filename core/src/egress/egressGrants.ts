/**
 * Job credentials for the egress proxy: minted for a job attempt by control (mint), or installed on a
 * worker's proxy from control's grant (install); refused from the moment the attempt ends (revoke).
 * Only a hash of the secret is kept, looked up in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HeliosError, type EgressConnectionReport, type EgressGrantSpec } from '@helios-ci/sdk';
import { compile, type JobEgressPolicy } from './egressPolicy.js';

export type EgressConnection = EgressConnectionReport;

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
  user: string;
  /** Hex sha256 of the secret (EgressGrantSpec.secretSha256). */
  secretSha256: string;
  revoke(): void;
}

const hash = (secret: string) => createHash('sha256').update(secret).digest();

/** Proxy-Authorization user of a job. */
export const egressUserOf = (jobId: string): string => `job-${jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/**
 * The proxy secret of the job attempt whose agent token hashes to `tokenHash` (jobTokenHash). Derived
 * rather than random so a restarted control that re-adopts the job (job_agents keeps the token hash)
 * grants the very credential the agent put into its steps' environment before the restart.
 */
export function egressSecretFor(tokenHash: string): string {
  return createHmac('sha256', Buffer.from(tokenHash, 'hex')).update('helios egress proxy credential v1').digest('base64url');
}

export class EgressGrants {
  private readonly byHash = new Map<string, EgressGrant>();

  /** A grant for `secret` (default: 32 random bytes). */
  mint(grant: Omit<EgressGrant, 'user'>, secret: string = randomBytes(32).toString('base64url')): MintedGrant {
    const user = egressUserOf(grant.jobId);
    const key = hash(secret).toString('hex');
    this.byHash.set(key, { ...grant, user });
    return { credential: `${user}:${secret}`, user, secretSha256: key, revoke: () => void this.byHash.delete(key) };
  }

  /** Control's grant on this (a worker's) proxy: the job's credential works here under its policy until revoked. */
  install(spec: EgressGrantSpec, report: (connection: EgressConnection) => void): () => void {
    if (!/^[0-9a-f]{64}$/.test(spec.secretSha256) || spec.user !== egressUserOf(spec.jobId)) {
      throw new HeliosError('E_CONFIG_INVALID', `egress grant for job ${spec.jobId}: secretSha256 must be 64 hex digits and user ${egressUserOf(spec.jobId)}; control and worker run different Helios versions?`);
    }
    const key = spec.secretSha256;
    this.byHash.set(key, { jobId: spec.jobId, user: spec.user, policy: compile(spec.policy, spec.source, spec.repo), implicit: spec.implicit, report });
    return () => void this.byHash.delete(key);
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
