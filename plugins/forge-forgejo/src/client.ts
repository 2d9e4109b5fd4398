import { HeliosError } from '@helios-ci/sdk';

export interface ForgejoClientOptions {
  /** Forgejo root URL (the API lives under `/api/v1`). */
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** Injectable for tests; default the global fetch. */
  fetch?: typeof fetch;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** One path segment, percent-encoded (owner, repo and user names come from webhooks). */
export const seg = (s: string): string => encodeURIComponent(s);

/** A repository-relative file path, each segment encoded, slashes kept. */
export const filePath = (p: string): string => p.split('/').filter(Boolean).map(seg).join('/');

/**
 * A small Forgejo/Gitea REST client. It maps failures onto the outbox worker's retry contract:
 * 408, 429, 5xx and network errors are retryable (`E_FORGE_UNAVAILABLE`), any other 4xx is a
 * permanent refusal (`E_FORGE_REJECTED`, `retryable: false`). The token goes only into
 * the Authorization header; error messages carry the method, path and status, never the token.
 */
export class ForgejoClient {
  private readonly api: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly o: ForgejoClientOptions) {
    this.api = `${o.baseUrl.replace(/\/+$/, '')}/api/v1`;
    this.doFetch = o.fetch ?? fetch;
  }

  /**
   * One request. Statuses listed in `accept` (besides 2xx) are returned rather than thrown, so a
   * caller can turn a 404 into "absent".
   */
  async request<T>(method: string, path: string, options: { query?: Record<string, string>; body?: unknown; accept?: number[] } = {}): Promise<ApiResponse<T>> {
    const url = new URL(this.api + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const what = `Forgejo ${method} ${url.pathname}`;
    let res: Response;
    try {
      res = await this.doFetch(url, {
        method,
        headers: {
          authorization: `token ${this.o.token}`,
          accept: 'application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const reason = (err as Error)?.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : ((err as Error)?.cause as Error | undefined)?.message ?? (err as Error).message;
      throw new HeliosError('E_FORGE_UNAVAILABLE', `${what} failed: ${reason}; Forgejo may be down, the request is retried`, { cause: err, retryable: true });
    }
    const text = await res.text().catch(() => '');
    if ((res.status >= 200 && res.status < 300) || options.accept?.includes(res.status)) {
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          if (res.status < 300) throw new HeliosError('E_FORGE_UNAVAILABLE', `${what} answered ${res.status} with a body that is not JSON; is baseUrl the Forgejo root URL?`, { retryable: true, upstreamStatus: res.status });
        }
      }
      return { status: res.status, body: body as T };
    }
    const message = errorMessage(text);
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      const retryAfterMs = retryAfter(res.headers.get('retry-after'));
      throw new HeliosError('E_FORGE_UNAVAILABLE', `${what} answered ${res.status}${message ? `: ${message}` : ''}; retrying later`, {
        retryable: true, upstreamStatus: res.status, retryAfterMs,
      });
    }
    const hint = res.status === 401 ? ' (check the token)' : res.status === 403 ? ' (the token lacks permission on this repository)' : res.status === 404 ? ' (no such repository or commit, or the token cannot see it)' : '';
    throw new HeliosError('E_FORGE_REJECTED', `${what} was refused with ${res.status}${message ? `: ${message}` : ''}${hint}`, { retryable: false, upstreamStatus: res.status });
  }
  /** Bytes of a binary answer (archives); null on 404. Failures map as `request` maps them. */
  async download(path: string): Promise<Uint8Array | null> {
    const url = new URL(this.api + path);
    const what = `Forgejo GET ${url.pathname}`;
    let res: Response;
    try {
      res = await this.doFetch(url, { headers: { authorization: `token ${this.o.token}` }, signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (err) {
      throw new HeliosError('E_FORGE_UNAVAILABLE', `${what} failed: ${(err as Error).message}; Forgejo may be down, the request is retried`, { cause: err, retryable: true });
    }
    if (res.status === 404) return null;
    if (res.status >= 200 && res.status < 300) return new Uint8Array(await res.arrayBuffer());
    const message = errorMessage(await res.text().catch(() => ''));
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    throw new HeliosError(retryable ? 'E_FORGE_UNAVAILABLE' : 'E_FORGE_REJECTED', `${what} answered ${res.status}${message ? `: ${message}` : ''}`, { retryable, upstreamStatus: res.status });
  }
}

/** Forgejo's APIError is `{message, url}`; validation errors are similar. Kept short for logs. */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message.slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200).trim();
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
