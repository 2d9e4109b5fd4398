import type { KeyObject } from 'node:crypto';
import { Octokit } from '@octokit/core';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from '@helios-ci/sdk';
import { createAppJwt } from './appJwt.js';
import { statusOf, toForgeError } from './errors.js';
import { InstallationTokenCache } from './tokenCache.js';

const GitHubOctokit = Octokit.plugin(retry, throttling);
type GitHubOctokit = InstanceType<typeof GitHubOctokit>;

export interface GitHubClientOptions {
  forgeId: string;
  appId: number;
  key: KeyObject;
  baseUrl: string;
  logger: Logger;
  /** plugin-retry attempts for 5xx answers on idempotent calls (default 2). */
  retries?: number;
  /** plugin-retry's delay unit (default 1,000 ms: waits 1 s, 4 s, ...). */
  retryBaseMs?: number;
  /** A token is replaced this long before it expires (default 10 min). */
  tokenRefreshMarginMs?: number;
}

export interface RequestOptions {
  /** false for non-idempotent writes (create, append annotations): a blind re-send could duplicate. */
  retry?: boolean;
}

export interface Response<T> {
  status: number;
  data: T;
  headers: Record<string, string | number | undefined>;
}

/**
 * GitHub REST for one App: a JWT for `/app/*`, installation tokens elsewhere (via @octokit/auth-app,
 * cached and refreshed before expiry), plugin-retry for 5xx and plugin-throttling to pace writes.
 * Rate limits are not waited out here: they surface as errors with `retryAfterMs`, so the outbox
 * pauses the whole installation instead of each call sleeping on its own.
 */
export class GitHubClient {
  private readonly perInstallation = new Map<string, GitHubOctokit>();
  private readonly tokens: InstallationTokenCache;
  private readonly app: GitHubOctokit;

  constructor(private readonly o: GitHubClientOptions) {
    this.tokens = new InstallationTokenCache(o.tokenRefreshMarginMs ?? 10 * 60_000);
    this.app = this.create(null);
  }

  private create(installationId: string | null): GitHubOctokit {
    const { forgeId, appId, key, logger } = this.o;
    const log = {
      debug: (msg: string) => logger.debug(msg),
      info: (msg: string) => logger.debug(msg),
      warn: (msg: string) => logger.warn(msg),
      error: (msg: string) => logger.error(msg),
    };
    return new GitHubOctokit({
      baseUrl: this.o.baseUrl.replace(/\/+$/, ''),
      userAgent: `helios-ci-forge-github (${forgeId})`,
      log,
      headers: { 'x-github-api-version': '2022-11-28' },
      authStrategy: createAppAuth,
      auth: {
        appId,
        // Our own signer: iat 60 s in the past (auth-app's built-in signer uses 30 s).
        createJwt: async (_appId: string | number, timeDifference?: number) => createAppJwt(appId, key, Date.now(), timeDifference ?? 0),
        cache: this.tokens,
        log,
        ...(installationId ? { installationId: Number(installationId) } : {}),
      },
      retry: { retries: this.o.retries ?? 2, retryAfterBaseValue: this.o.retryBaseMs ?? 1000, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        // One pacing group per installation: GitHub's content-creation limits are per installation.
        id: `${forgeId}/${installationId ?? 'app'}`,
        onRateLimit: () => false,
        onSecondaryRateLimit: () => false,
      },
    });
  }

  private octokit(installationId: string): GitHubOctokit {
    let o = this.perInstallation.get(installationId);
    if (!o) {
      o = this.create(installationId);
      this.perInstallation.set(installationId, o);
    }
    return o;
  }

  /**
   * One call as the installation. A 401 means the cached token was revoked or expired early: the
   * installation's tokens are dropped and the call is made once more with a fresh one.
   */
  async request<T>(installationId: string, route: string, params: Record<string, unknown>, what: string, options: RequestOptions = {}): Promise<Response<T>> {
    const call = () => this.octokit(installationId).request(route, { ...params, ...(options.retry === false ? { request: { retries: 0 } } : {}) });
    try {
      try {
        return (await call()) as unknown as Response<T>;
      } catch (err) {
        if (statusOf(err) !== 401) throw err;
        this.tokens.invalidate(installationId);
        this.o.logger.info('GitHub refused an installation token; fetching a new one', { installation: installationId });
        return (await call()) as unknown as Response<T>;
      }
    } catch (err) {
      throw toForgeError(err, this.o.forgeId, what);
    }
  }

  /** One call as the App itself (JWT). */
  async appRequest<T>(route: string, params: Record<string, unknown>, what: string): Promise<Response<T>> {
    try {
      return (await this.app.request(route, params)) as unknown as Response<T>;
    } catch (err) {
      throw toForgeError(err, this.o.forgeId, what);
    }
  }

  /** A narrowed installation token (e.g. one repository, contents: read), cached like the others. */
  async scopedToken(installationId: string, repositoryNames: string[], permissions: Record<string, 'read' | 'write'>, what: string): Promise<{ token: string; expiresAt: string }> {
    try {
      const auth = (await this.octokit(installationId).auth({ type: 'installation', installationId: Number(installationId), repositoryNames, permissions })) as {
        token: string;
        expiresAt: string;
      };
      return { token: auth.token, expiresAt: auth.expiresAt };
    } catch (err) {
      throw toForgeError(err, this.o.forgeId, what);
    }
  }

  /**
   * A fresh installation token for `repositoryNames` with exactly `permissions` (a job's
   * GITHUB_TOKEN): asked as the App, never from or into the cache, so revoking it touches no other
   * caller's token.
   */
  async freshToken(installationId: string, repositoryNames: string[], permissions: Record<string, 'read' | 'write'>, what: string): Promise<{ token: string; expiresAt: string; permissions: Record<string, string> }> {
    const { data } = await this.appRequest<{ token: string; expires_at: string; permissions?: Record<string, string> }>(
      'POST /app/installations/{installation_id}/access_tokens',
      { installation_id: Number(installationId), repositories: repositoryNames, permissions },
      what,
    );
    return { token: data.token, expiresAt: data.expires_at, permissions: data.permissions ?? {} };
  }

  /** `DELETE /installation/token` authenticated by the token itself; an already dead one (401) is fine. */
  async revokeToken(token: string, what: string): Promise<void> {
    let res: globalThis.Response;
    try {
      res = await fetch(`${this.o.baseUrl.replace(/\/+$/, '')}/installation/token`, {
        method: 'DELETE',
        headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': `helios-ci-forge-github (${this.o.forgeId})` },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw toForgeError(err, this.o.forgeId, what);
    }
    if (res.status !== 204 && res.status !== 401) throw toForgeError(Object.assign(new Error(`HTTP ${res.status}`), { status: res.status }), this.o.forgeId, what);
  }

  /** Forgets cached tokens (tests; a 401 does it per installation). */
  invalidate(installationId: string): void {
    this.tokens.invalidate(installationId);
  }
}
