import { HeliosError, isHeliosError } from '@helios-ci/sdk';

/** What an @octokit/request error carries that matters here (RequestError, duck-typed). */
interface RequestErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

const SECONDARY_FALLBACK_MS = 60_000;

/**
 * How long GitHub asks us to wait, per its documented rules: `retry-after` if given; else the
 * primary limit's reset when `x-ratelimit-remaining` is 0; else (a secondary limit) one minute.
 */
export function retryAfterMs(headers: Record<string, string | number | undefined>, now = Date.now()): number {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0 && headers['retry-after'] !== undefined) return Math.max(1000, retryAfter * 1000);
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(reset) && reset > now) return reset - now + 1000;
  }
  return SECONDARY_FALLBACK_MS;
}

function isRateLimited(status: number, headers: Record<string, string | number | undefined>, message: string): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return headers['retry-after'] !== undefined || String(headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message);
}

/** GitHub's own explanation from the response body (never the request, which carries the token). */
function githubMessage(err: RequestErrorLike): string {
  const data = err.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const parts: string[] = [];
  if (data && typeof data.message === 'string') parts.push(data.message.split('\n')[0]!);
  if (data && Array.isArray(data.errors)) {
    for (const e of data.errors.slice(0, 3)) parts.push(typeof e === 'string' ? e : JSON.stringify(e));
  }
  return parts.join('; ').slice(0, 500) || `HTTP ${err.status ?? '?'}`;
}

/**
 * Maps a failed GitHub call to a HeliosError the kernel understands: rate limits carry
 * `retryAfterMs` (the outbox pauses the installation); 4xx refusals are permanent (`E_FORGE_REJECTED`,
 * `retryable: false`); 5xx, timeouts and network errors are retryable (`E_FORGE_UNAVAILABLE`). The
 * cause is not attached: octokit errors hold the request, and requests hold tokens.
 */
export function toForgeError(err: unknown, forgeId: string, what: string): HeliosError {
  if (isHeliosError(err)) return err;
  const e = err as RequestErrorLike;
  const status = typeof e?.status === 'number' ? e.status : 0;
  const headers = e?.response?.headers ?? {};
  const prefix = `GitHub forge ${forgeId}: ${what}`;
  if (status === 0 || status >= 500) {
    const reason = status ? `HTTP ${status}` : String(e?.message ?? err).slice(0, 200);
    return new HeliosError('E_FORGE_UNAVAILABLE', `${prefix} failed (${reason}); will retry`, { upstreamStatus: status, retryable: true });
  }
  const message = githubMessage(e);
  if (isRateLimited(status, headers, message)) {
    const wait = retryAfterMs(headers);
    return new HeliosError('E_FORGE_RATE_LIMITED', `${prefix} was rate-limited by GitHub (${message}); waiting ${Math.round(wait / 1000)} s`, {
      upstreamStatus: status, retryable: true, retryAfterMs: wait,
    });
  }
  if (status === 401) {
    return new HeliosError('E_FORGE_UNAUTHORIZED', `${prefix} was refused as unauthenticated (${message}); check appId and privateKey`, { upstreamStatus: status, retryable: true });
  }
  if (status === 408 || status === 409) {
    return new HeliosError('E_FORGE_UNAVAILABLE', `${prefix} failed (HTTP ${status}: ${message}); will retry`, { upstreamStatus: status, retryable: true });
  }
  const hint = status === 403 || status === 404 ? '; check that the App is installed on the repository with checks:write, contents:read and metadata:read' : '';
  return new HeliosError('E_FORGE_REJECTED', `${prefix} was refused (HTTP ${status}: ${message})${hint}`, { upstreamStatus: status, retryable: false });
}

export const statusOf = (err: unknown): number => {
  const s = (err as RequestErrorLike | null)?.status;
  return typeof s === 'number' ? s : 0;
};
