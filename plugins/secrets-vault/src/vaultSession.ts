import { readFileSync } from 'node:fs';
import { HeliosError, isHeliosError, type Logger } from '@helios-ci/sdk';
import { vaultErrors, type VaultAuthBlock, type VaultHttp, type VaultResponse } from './vaultHttp.js';

/** How Helios logs in. Credentials are named by file or variable, never written in helios.yaml. */
export type VaultAuth =
  | { method: 'token'; tokenFile?: string; tokenEnv?: string }
  | { method: 'approle'; mount: string; roleId: string; secretIdFile?: string; secretIdEnv?: string };

export interface VaultSessionOptions {
  http: VaultHttp;
  auth: VaultAuth;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Attempts after the first for 429/5xx/unreachable/timeouts. */
  retries: number;
  backoffMs: number;
  now?: () => number;
}

interface Lease {
  token: string;
  /** ms epoch; null for a token that never expires (ttl 0). */
  expiresAt: number | null;
  leaseMs: number;
  renewable: boolean;
  obtainedAt: number;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * A logged-in Vault session: holds the token, renews it (renew-self) at 2/3 of its lease, logs in
 * again with AppRole when renewal is refused or the token is not renewable, and never sends a
 * request with a token it knows has expired (it refreshes first). Calls that meet a sealed,
 * standby, failing or silent Vault are retried with backoff, then fail with a clear error.
 */
export class VaultSession {
  private lease: Lease | null = null;
  private refreshing: Promise<Lease> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly o: VaultSessionOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Logs in (or checks the given token) once; throws what is wrong. */
  async start(): Promise<void> {
    await this.refresh('start');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** An authenticated call, with retries. 403 once re-logs in (AppRole) in case the token was revoked. */
  async call(method: 'GET' | 'POST', path: string, init: { body?: unknown; query?: Record<string, string> } = {}): Promise<VaultResponse> {
    let lease = await this.validLease();
    let res = await this.withRetries(() => this.o.http.call(method, path, { ...init, token: lease.token }));
    if (res.status === 403 && this.o.auth.method === 'approle' && this.now() - lease.obtainedAt > 1000) {
      this.o.logger.warn('vault answered 403; logging in again in case the token was revoked', { path });
      lease = await this.refresh('403', true);
      res = await this.withRetries(() => this.o.http.call(method, path, { ...init, token: lease.token }));
    }
    return res;
  }

  /** The current token, refreshed first when it is (about to be) expired. */
  private async validLease(): Promise<Lease> {
    const lease = this.lease;
    if (lease && !this.expiring(lease)) return lease;
    return this.refresh('expired');
  }

  private expiring(lease: Lease): boolean {
    if (lease.expiresAt === null) return false;
    // A margin so a token does not lapse between this check and Vault reading the request.
    const margin = Math.min(1000, lease.leaseMs / 10);
    return this.now() >= lease.expiresAt - margin;
  }

  private refresh(why: string, forceLogin = false): Promise<Lease> {
    this.refreshing ??= this.doRefresh(why, forceLogin).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(why: string, forceLogin: boolean): Promise<Lease> {
    const current = this.lease;
    let next: Lease | null = null;
    // Renew only while the token is safely alive: a timer that fires late (a busy event loop) must
    // not send renew-self with a token that lapses on the way; log in instead.
    if (!forceLogin && current && current.renewable && current.expiresAt !== null && !this.expiring(current)) {
      try {
        next = await this.renew(current);
      } catch (err) {
        if (this.o.auth.method !== 'approle') throw err;
        this.o.logger.warn('vault token renewal refused; logging in again with AppRole', { reason: (err as Error).message });
      }
    }
    if (!next) {
      if (this.o.auth.method === 'approle') next = await this.loginAppRole();
      else if (!current) next = await this.lookupToken();
      else throw new HeliosError('E_VAULT_AUTH_FAILED', `the Vault token ${current.renewable ? 'could not be renewed' : 'is not renewable'} and has expired; token auth cannot log in again: give Helios a renewable token (or a periodic one), or use AppRole`);
    }
    this.lease = next;
    this.o.logger.info('vault token ready', { why, leaseSeconds: next.leaseMs / 1000, renewable: next.renewable });
    this.schedule(next);
    return next;
  }

  private schedule(lease: Lease): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || lease.expiresAt === null) return;
    const at = lease.obtainedAt + (lease.leaseMs * 2) / 3;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refresh('scheduled').catch((err) => {
        // The next request refreshes again before it is sent; say why this one failed.
        this.o.logger.error('vault token refresh failed', { error: (err as Error).message });
        if (!this.stopped && this.lease && this.lease.expiresAt !== null && this.now() < this.lease.expiresAt) {
          this.timer = setTimeout(() => void this.refresh('retry').catch(() => undefined), Math.max(100, (this.lease.expiresAt - this.now()) / 3));
          this.timer.unref();
        }
      });
    }, Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private async renew(current: Lease): Promise<Lease> {
    const res = await this.withRetries(() => this.o.http.call('POST', 'auth/token/renew-self', { token: current.token, body: { increment: `${Math.round(current.leaseMs / 1000)}s` } }));
    if (res.status !== 200 || !res.body.auth) throw new HeliosError('E_VAULT_AUTH_FAILED', `Vault refused to renew the token (HTTP ${res.status}: ${vaultErrors(res.body)})`, { upstreamStatus: res.status });
    const lease = this.leaseFrom(res.body.auth, current.token);
    // Capped by the token's max TTL: a lease this short is not worth renewing again; log in instead.
    if (lease.expiresAt !== null && lease.leaseMs < 2000 && this.o.auth.method === 'approle') throw new HeliosError('E_VAULT_AUTH_FAILED', 'the renewed token has reached its max TTL');
    return lease;
  }

  private async loginAppRole(): Promise<Lease> {
    const auth = this.o.auth as Extract<VaultAuth, { method: 'approle' }>;
    const secretId = this.credential('secret_id', auth.secretIdFile, auth.secretIdEnv);
    const path = `auth/${auth.mount.split('/').map(encodeURIComponent).join('/')}/login`;
    const res = await this.withRetries(() => this.o.http.call('POST', path, { body: { role_id: auth.roleId, secret_id: secretId } }));
    if (res.status !== 200 || !res.body.auth?.client_token) {
      throw new HeliosError('E_VAULT_AUTH_FAILED', `AppRole login at ${path} failed (HTTP ${res.status}: ${vaultErrors(res.body)}); check roleId and the secret_id in ${auth.secretIdFile ?? `$${auth.secretIdEnv}`} (secret IDs expire: vault write -f auth/${auth.mount}/role/<role>/secret-id)`, { upstreamStatus: res.status });
    }
    return this.leaseFrom(res.body.auth, res.body.auth.client_token);
  }

  private async lookupToken(): Promise<Lease> {
    const auth = this.o.auth as Extract<VaultAuth, { method: 'token' }>;
    const token = this.credential('token', auth.tokenFile, auth.tokenEnv);
    const res = await this.withRetries(() => this.o.http.call('GET', 'auth/token/lookup-self', { token }));
    if (res.status !== 200 || !res.body.data) {
      throw new HeliosError('E_VAULT_AUTH_FAILED', `Vault does not accept the token from ${auth.tokenFile ?? `$${auth.tokenEnv}`} (lookup-self: HTTP ${res.status}: ${vaultErrors(res.body)}); it is wrong, expired or revoked`, { upstreamStatus: res.status });
    }
    const ttl = Number(res.body.data.ttl ?? 0);
    return { token, expiresAt: ttl > 0 ? this.now() + ttl * 1000 : null, leaseMs: ttl * 1000, renewable: res.body.data.renewable === true, obtainedAt: this.now() };
  }

  private leaseFrom(auth: VaultAuthBlock, token: string): Lease {
    const leaseMs = Math.max(0, Number(auth.lease_duration) || 0) * 1000;
    const now = this.now();
    return { token: auth.client_token || token, expiresAt: leaseMs > 0 ? now + leaseMs : null, leaseMs, renewable: auth.renewable === true, obtainedAt: now };
  }

  /** Read at each login, so a rotated file (e.g. written by Vault Agent) is picked up. */
  private credential(what: string, file: string | undefined, envName: string | undefined): string {
    let value: string | undefined;
    if (file) {
      try {
        value = readFileSync(file, 'utf8').trim();
      } catch (err) {
        throw new HeliosError('E_VAULT_CONFIG', `secrets-vault: the ${what} file ${file} cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
      }
    } else if (envName) {
      value = this.o.env[envName]?.trim();
      if (!value) throw new HeliosError('E_VAULT_CONFIG', `secrets-vault: environment variable ${envName} (the ${what}) is not set`);
    }
    if (!value) throw new HeliosError('E_VAULT_CONFIG', `secrets-vault: the ${what} is empty`);
    return value;
  }

  /** Retries 429 (standby), 5xx (503: sealed), timeouts and unreachable with exponential backoff. */
  private async withRetries(send: () => Promise<VaultResponse>): Promise<VaultResponse> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.o.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(this.o.backoffMs * 2 ** (attempt - 1), 5000));
      try {
        const res = await send();
        if (!RETRY_STATUS.has(res.status)) return res;
        last = new HeliosError('E_VAULT_UNAVAILABLE', `Vault answered HTTP ${res.status} (${res.status === 503 ? 'sealed or unavailable' : res.status === 429 ? 'standby or rate limited' : 'server error'}: ${vaultErrors(res.body)})`, { upstreamStatus: res.status, retryable: true });
      } catch (err) {
        if (!isHeliosError(err) || !err.retryable) throw err;
        last = err;
      }
    }
    const err = last as HeliosError;
    throw new HeliosError(err.code, `${err.message}; gave up after ${this.o.retries + 1} attempts`, { cause: err, retryable: true, upstreamStatus: err.upstreamStatus });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
