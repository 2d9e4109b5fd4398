import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { VaultSpec, vaultFixture } from './vaultSpec.js';

export interface StandInToken {
  policies: string[];
  /** Path globs (`secret/data/ci/*`) this token may read. */
  paths: string[];
  ttlMs: number;
  /** ms epoch; null = never expires. */
  expiresAt: number | null;
  /** ms epoch past which renewal cannot extend. */
  maxExpiresAt: number | null;
  renewable: boolean;
  namespace: string;
}

export interface StandInRole {
  roleId: string;
  secretId: string;
  ttlSeconds: number;
  maxTtlSeconds: number;
  paths: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string | null;
  status: number;
  token: string | null;
  namespace: string | null;
  /** True when the request carried a token this Vault issued that had already expired. */
  expiredToken: boolean;
  at: number;
}

/**
 * A Vault stand-in on loopback, checked against vault-openapi-subset.json: unknown paths 404,
 * methods the subset lacks 405, bodies and query parameters outside the schema 400, missing or bad
 * tokens 403, reads outside a token's paths 403, missing secrets 404, wrong AppRole credentials 400
 * — each with Vault's error envelope. Tokens have real TTLs (seconds, for tests) and a max TTL;
 * the stand-in can be sealed (503), put in standby (429), made to refuse renewals, or to hang.
 */
export class VaultStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly tokens = new Map<string, StandInToken>();
  readonly roles = new Map<string, StandInRole>();
  sealed = false;
  standby = false;
  hang = false;
  refuseRenewals = false;
  url = '';
  private readonly kv = new Map<string, { data: Record<string, string> | null; deleted: boolean }[]>();
  private readonly spec: VaultSpec;
  private server: Server | null = null;
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly options: { kvMounts?: string[]; approleMounts?: string[]; namespace?: string; tls?: { key: string; cert: string } } = {}) {
    this.spec = new VaultSpec(options.kvMounts ?? ['secret'], options.approleMounts ?? ['approle']);
  }

  async start(): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = this.options.tls ? createHttps({ key: this.options.tls.key, cert: this.options.tls.cert }, handler) : createHttp(handler);
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Writes a new version of the map at `mount/path` (as `vault kv put`). */
  put(path: string, data: Record<string, string>, mount = 'secret', namespace = this.options.namespace ?? ''): number {
    const key = `${namespace}|${mount}/${path}`;
    const versions = this.kv.get(key) ?? [];
    versions.push({ data: { ...data }, deleted: false });
    this.kv.set(key, versions);
    return versions.length;
  }

  /** Soft-deletes one version (as `vault kv delete -versions=N`). */
  deleteVersion(path: string, version: number, mount = 'secret', namespace = this.options.namespace ?? ''): void {
    const v = this.kv.get(`${namespace}|${mount}/${path}`)?.[version - 1];
    if (v) v.deleted = true;
  }

  issueToken(o: { ttlSeconds: number; maxTtlSeconds?: number; renewable?: boolean; paths: string[]; namespace?: string }): string {
    const token = `hvs.${randomBytes(18).toString('base64url')}`;
    const now = Date.now();
    this.tokens.set(token, {
      policies: ['ci-secrets', 'default'],
      paths: o.paths,
      ttlMs: o.ttlSeconds * 1000,
      expiresAt: o.ttlSeconds > 0 ? now + o.ttlSeconds * 1000 : null,
      maxExpiresAt: o.ttlSeconds > 0 ? now + (o.maxTtlSeconds ?? o.ttlSeconds * 100) * 1000 : null,
      renewable: o.renewable ?? true,
      namespace: o.namespace ?? this.options.namespace ?? '',
    });
    return token;
  }

  addRole(role: StandInRole): void {
    this.roles.set(role.roleId, role);
  }

  revoke(token: string): void {
    this.tokens.delete(token);
  }

  count(operationId: string, status?: number): number {
    return this.requests.filter((r) => r.operationId === operationId && (status === undefined || r.status === status)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const token = (req.headers['x-vault-token'] as string | undefined) ?? null;
    const namespace = ((req.headers['x-vault-namespace'] as string | undefined) ?? '').replace(/^\/+|\/+$/g, '');
    const rec: RecordedRequest = { method: req.method ?? '', path: url.pathname, operationId: null, status: 0, token, namespace: namespace || null, expiredToken: false, at: Date.now() };
    this.requests.push(rec);
    const send = (status: number, body: unknown) => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const errors = (status: number, ...msgs: string[]) => send(status, { errors: msgs });

    if (this.hang) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (this.sealed) return errors(503, 'Vault is sealed');
    if (this.standby) return errors(429, 'node is a performance standby'); // as Vault does for an unready standby
    if (!url.pathname.startsWith('/v1/')) return errors(404);
    const matched = this.spec.match(url.pathname.slice(3));
    if (!matched) return errors(404);
    const op = this.spec.operation(matched.template, rec.method);
    if (!op) return errors(405, 'unsupported operation');
    rec.operationId = op.operationId;
    const problems = this.spec.checkQuery(op, url.searchParams);
    let body: unknown = undefined;
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.length) {
      try {
        body = JSON.parse(text);
      } catch {
        return errors(400, 'failed to parse JSON input: invalid character');
      }
      if (!op.body) problems.push('this operation takes no body');
      else problems.push(...this.spec.checkBody(op.body, body));
    } else if (op.bodyRequired && rec.method !== 'GET') {
      body = {};
    }
    if (problems.length) return errors(400, ...problems);
    if (namespace !== (this.options.namespace ?? '')) return errors(403, vaultFixture<{ errors: string[] }>('permission-denied.403.json').errors[0]!);

    if (op.operationId === 'app-role-login') return this.login(body as Record<string, unknown>, send, errors);

    // Every other operation needs a live token.
    const t = token ? this.tokens.get(token) : undefined;
    if (t && t.expiresAt !== null && Date.now() >= t.expiresAt) rec.expiredToken = true;
    if (!t || rec.expiredToken || t.namespace !== namespace) return send(403, vaultFixture('permission-denied.403.json'));

    switch (op.operationId) {
      case 'token-look-up-self':
      case 'token-look-up-self2': {
        const f = vaultFixture<{ data: Record<string, unknown> }>('token-lookup-self.200.json');
        Object.assign(f.data, { id: token, renewable: t.renewable, ttl: t.expiresAt === null ? 0 : Math.ceil((t.expiresAt - Date.now()) / 1000), policies: t.policies });
        return send(200, { ...f, request_id: randomUUID() });
      }
      case 'token-renew-self': {
        if (!t.renewable) return errors(400, 'lease is not renewable');
        if (this.refuseRenewals) return errors(403, 'permission denied');
        const inc = typeof (body as { increment?: unknown })?.increment === 'string' ? parseDuration((body as { increment: string }).increment) : t.ttlMs;
        const want = Date.now() + (inc || t.ttlMs);
        t.expiresAt = t.maxExpiresAt === null ? want : Math.min(want, t.maxExpiresAt);
        const f = vaultFixture<{ auth: Record<string, unknown> }>('token-renew-self.200.json');
        Object.assign(f.auth, { client_token: token, lease_duration: Math.max(0, Math.floor((t.expiresAt - Date.now()) / 1000)), renewable: t.renewable, policies: t.policies, token_policies: t.policies });
        return send(200, { ...f, request_id: randomUUID() });
      }
      case 'kv-v2-read': {
        const full = `${matched.params.kv_v2_mount_path}/data/${matched.params.path}`;
        if (!t.paths.some((g) => glob(g, full))) return send(403, vaultFixture('permission-denied.403.json'));
        const versions = this.kv.get(`${namespace}|${matched.params.kv_v2_mount_path}/${matched.params.path}`);
        if (!versions) return send(404, vaultFixture('not-found.404.json'));
        const n = url.searchParams.has('version') ? Number(url.searchParams.get('version')) : versions.length;
        const v = versions[(n || versions.length) - 1];
        if (!v) return send(404, vaultFixture('not-found.404.json'));
        if (v.deleted) {
          const f = vaultFixture<{ data: { metadata: Record<string, unknown> } }>('kv2-read-deleted-version.404.json');
          f.data.metadata.version = n;
          return send(404, f);
        }
        const f = vaultFixture<{ data: { data: unknown; metadata: Record<string, unknown> } }>('kv2-read.200.json');
        f.data.data = v.data;
        f.data.metadata.version = n || versions.length;
        return send(200, { ...f, request_id: randomUUID() });
      }
      default:
        return errors(405, `the stand-in does not implement ${op.operationId}`);
    }
  }

  private login(body: Record<string, unknown>, send: (s: number, b: unknown) => void, errors: (s: number, ...m: string[]) => void): void {
    const role = typeof body.role_id === 'string' ? this.roles.get(body.role_id) : undefined;
    if (!role || body.secret_id !== role.secretId) return send(400, vaultFixture('approle-login-bad-credentials.400.json'));
    if (role.ttlSeconds <= 0) return errors(500, 'bad role');
    const token = this.issueToken({ ttlSeconds: role.ttlSeconds, maxTtlSeconds: role.maxTtlSeconds, paths: role.paths });
    const f = vaultFixture<{ auth: Record<string, unknown> }>('approle-login.200.json');
    Object.assign(f.auth, { client_token: token, lease_duration: role.ttlSeconds, renewable: true });
    send(200, { ...f, request_id: randomUUID() });
  }
}

function glob(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}
