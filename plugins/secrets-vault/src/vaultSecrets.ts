import { HeliosError, SECRET_NAME, type Logger, type SecretScope, type Secrets } from '@helios-ci/sdk';
import { dataPath, fillTemplate, parseRef, type KvLocation } from './pathTemplates.js';
import { vaultErrors } from './vaultHttp.js';
import type { VaultSession } from './vaultSession.js';

export interface VaultSecretsOptions {
  session: VaultSession;
  logger: Logger;
  /** KV v2 mount (`secret`). */
  mount: string;
  /** CONFIG secrets: `helios/config/{ref}`; a ref may select a key with `#key`. */
  configPath: string;
  /** JOB secrets: most specific first, e.g. `ci/{owner}/{repo}/{name}`. */
  jobPaths: string[];
  /** Tried before jobPaths when the job has an environment (templates with {environment}). */
  environmentPaths?: string[];
  /** Pinned versions by KV path (inside the mount). */
  versions: Record<string, number>;
  cacheTtlMs: number;
  /** `fail`: a referenced job secret found nowhere fails the job; `absent`: it is left out (empty in the workflow). */
  missing: 'fail' | 'absent';
  now?: () => number;
}

type Map_ = Record<string, unknown>;

/**
 * Secrets from HashiCorp Vault KV v2, in two namespaces: CONFIG secrets under `configPath`
 * (read by the kernel at start) and JOB secrets under `jobPaths` (looked up at dispatch, only the
 * names a job references). Paths read for jobs are cached for `cacheTtlMs`; a 403 empties the cache.
 */
export class VaultSecrets implements Secrets {
  private readonly cache = new Map<string, { until: number; data: Promise<Map_ | null> }>();
  private readonly now: () => number;

  constructor(private readonly o: VaultSecretsOptions) {
    this.now = o.now ?? Date.now;
  }

  async read(ref: string): Promise<string | undefined> {
    const parsed = parseRef(ref);
    const loc = fillTemplate(this.o.configPath, { ref: parsed.ref });
    const key = parsed.key ?? loc.key;
    const map = await this.readPath(loc.path);
    const value = map?.[key];
    return typeof value === 'string' ? value : undefined;
  }

  async resolve(scope: SecretScope): Promise<Record<string, string>> {
    for (const name of scope.names) {
      if (!SECRET_NAME.test(name)) {
        throw new HeliosError('E_SECRET_NAME_INVALID', `secret name ${JSON.stringify(name.slice(0, 64))} is invalid; names are letters, digits and _ and do not start with a digit`);
      }
    }
    const [owner, repo] = scope.repo.split('/') as [string, string];
    const out: Record<string, string> = {};
    const missing: { name: string; tried: string[] }[] = [];
    await Promise.all(
      [...new Set(scope.names)].map(async (name) => {
        const tried: string[] = [];
        const templates = scope.environment ? [...(this.o.environmentPaths ?? []), ...this.o.jobPaths] : this.o.jobPaths;
        for (const template of templates) {
          const loc = fillTemplate(template, { owner, repo, name, ...(scope.environment && { environment: scope.environment.toLowerCase() }) });
          tried.push(this.describe(loc));
          const map = await this.cached(loc.path);
          const value = map?.[loc.key];
          if (typeof value === 'string') {
            out[name] = value;
            return;
          }
        }
        missing.push({ name, tried });
      }),
    );
    if (missing.length && this.o.missing === 'fail') {
      missing.sort((a, b) => a.name.localeCompare(b.name));
      throw new HeliosError('E_SECRET_NOT_FOUND', missing.map((m) => `secret ${m.name} not found at any of: ${m.tried.join(', ')}`).join('; '), { facts: { names: missing.map((m) => m.name), repo: scope.repo } });
    }
    return out;
  }

  private describe(loc: KvLocation): string {
    const v = this.o.versions[loc.path];
    return `${this.o.mount}/data/${loc.path}#${loc.key}${v ? ` (version ${v})` : ''}`;
  }

  private cached(path: string): Promise<Map_ | null> {
    const hit = this.cache.get(path);
    if (hit && hit.until > this.now()) return hit.data;
    const data = this.readPath(path);
    this.cache.set(path, { until: this.now() + this.o.cacheTtlMs, data });
    // Only found maps stay cached: a secret added after a miss is seen at once, a failure is retried.
    data.then(
      (m) => m === null && this.cache.delete(path),
      () => this.cache.delete(path),
    );
    return data;
  }

  /** The map at one KV v2 path; null when there is none (404, or a deleted/destroyed version). */
  private async readPath(path: string): Promise<Map_ | null> {
    const version = this.o.versions[path];
    const apiPath = dataPath(this.o.mount, path);
    const res = await this.o.session.call('GET', apiPath, version ? { query: { version: String(version) } } : {});
    if (res.status === 200) {
      const data = (res.body.data as { data?: unknown } | null | undefined)?.data;
      if (data === null || data === undefined) return null;
      if (typeof data !== 'object' || Array.isArray(data)) throw new HeliosError('E_VAULT_INVALID_RESPONSE', `Vault's answer for ${this.o.mount}/data/${path} has no secret map; is ${this.o.mount} a KV version 2 mount?`);
      return { ...(data as Map_) };
    }
    if (res.status === 404) return null;
    if (res.status === 403) {
      this.cache.clear();
      throw new HeliosError('E_VAULT_DENIED', `Vault denied reading ${this.o.mount}/data/${path} (403: ${vaultErrors(res.body)}); the token's policy needs: path "${this.o.mount}/data/${path.split('/').slice(0, -1).join('/')}/*" { capabilities = ["read"] }`, { upstreamStatus: 403, facts: { path: `${this.o.mount}/data/${path}` } });
    }
    throw new HeliosError('E_VAULT_INVALID_RESPONSE', `Vault answered HTTP ${res.status} for ${this.o.mount}/data/${path}: ${vaultErrors(res.body)}`, { upstreamStatus: res.status });
  }
}
