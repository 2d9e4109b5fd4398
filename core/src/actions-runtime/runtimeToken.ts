/**
 * ACTIONS_RUNTIME_TOKEN: a JWT (HS256) in the shape the toolkit decodes. @actions/artifact reads
 * the `scp` claim for `Actions.Results:<runId>:<jobId>` (its "backend ids"); nothing else in the
 * toolkit looks inside. The key is the server's own (random per process): the token proves which
 * job it was minted for, and the service checks on every request that this job is still
 * provisioning or running — a token outlives nothing.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';

export interface RuntimeTokenClaims {
  runId: string;
  jobId: string;
  /** Epoch seconds. */
  exp: number;
}

const HEADER = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const ID = /^[A-Za-z0-9_.-]{1,128}$/;

export class RuntimeTokens {
  private readonly key: Buffer;

  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  mint(runId: string, jobId: string, ttlMs: number, nowMs = Date.now()): string {
    if (!ID.test(runId) || !ID.test(jobId)) throw new HeliosError('E_INTERNAL', `run id ${runId} / job id ${jobId} cannot go into a runtime token scope`);
    const iat = Math.floor(nowMs / 1000);
    const payload = b64url(
      JSON.stringify({
        iss: 'helios',
        sub: jobId,
        // The second scope is the one @actions/artifact parses; the first mirrors GitHub's token.
        scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runId}:${jobId}`,
        iat,
        nbf: iat,
        exp: iat + Math.ceil(ttlMs / 1000),
      }),
    );
    return `${HEADER}.${payload}.${this.sign(`${HEADER}.${payload}`)}`;
  }

  /** The claims of a token this server minted and that has not expired; E_UNAUTHORIZED otherwise. */
  verify(token: string, nowMs = Date.now()): RuntimeTokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) throw invalid('it is not a token this Helios server issued');
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid('its signature does not match (a token from another server, or one issued before the server restarted)');
    let claims: { scp?: unknown; exp?: unknown };
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw invalid('its claims are not JSON');
    }
    const scope = typeof claims.scp === 'string' ? claims.scp.split(' ').find((s) => s.startsWith('Actions.Results:')) : undefined;
    const [, runId, jobId] = scope?.split(':') ?? [];
    if (!runId || !jobId || typeof claims.exp !== 'number') throw invalid('it has no Actions.Results scope or expiry');
    if (claims.exp * 1000 <= nowMs) throw invalid('it has expired');
    return { runId, jobId, exp: claims.exp };
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}

function invalid(why: string): HeliosError {
  return new HeliosError('E_UNAUTHORIZED', `ACTIONS_RUNTIME_TOKEN was refused: ${why}. Only the token Helios put in the environment of a running job is accepted, while that job runs.`);
}
