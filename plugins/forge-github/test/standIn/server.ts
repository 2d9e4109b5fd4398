import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serveGit } from '@helios-ci/sdk/testkit';
import { checkAppJwt } from './jwt.js';
import { OpenApi } from './openApi.js';
import { GitHubOAuthStandIn } from './oauth.js';
import type { SchemaProblem } from './schemaValidator.js';

/** Where the shared specs and fixtures are (beside the repository checkout). */
export const SHARED_DIR = process.env.HELIOS_SHARED_DIR ?? join(new URL('.', import.meta.url).pathname, '../../../../../../shared');
export const OPENAPI_FILE = join(SHARED_DIR, 'specs/github-checks-openapi-subset.json');

export type Role = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface StandInRepo {
  owner: string;
  name: string;
  id: number;
  installationId: number;
  /** A real git repository (its commits are what the API and clones serve). */
  dir: string;
  collaborators: Record<string, Role>;
  /** Visibility (default private), for user sign-in and anonymous reads. */
  private?: boolean;
}

interface Token {
  token: string;
  installationId: number;
  expiresAt: number;
  /** Repository names the token is limited to (null: all of the installation's). */
  repositories: string[] | null;
  permissions: Record<string, string>;
}

export interface RecordedCheckRun {
  id: number;
  owner: string;
  repo: string;
  installationId: number;
  name: string;
  head_sha: string;
  external_id: string | null;
  details_url: string | null;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Record<string, unknown>[];
  actions: { label: string; description: string; identifier: string }[];
  /** Every status/conclusion/title the run went through, in order. */
  history: { status: string; conclusion: string | null; title: string | null; at: number }[];
  suiteId: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
  installationId: number | null;
  contentCreating: boolean;
  /** The annotation messages the request's `output.annotations` carried (absent: none). */
  annotations?: string[];
}

export interface StandInOptions {
  appId?: number;
  /** Installation token lifetime (GitHub: 1 hour). */
  tokenTtlMs?: number;
  /** Content-creating requests allowed per window per installation (GitHub: 80 per minute). */
  contentLimit?: number;
  contentWindowMs?: number;
  /**
   * The loopback address to listen on (default 127.0.0.1). A sandboxed job reaches the host's
   * 127.0.0.1 only directly (NO_PROXY) and so not at all; 127.0.0.2 goes through the egress proxy.
   */
  host?: string;
}

const INSTALLATION_PERMISSIONS: Record<string, string> = { checks: 'write', contents: 'read', metadata: 'read', pull_requests: 'read' };
const CONTENT_CREATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const DOCS = 'https://docs.github.com/rest';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * A local stand-in for api.github.com (or a GHES `/api/v3`): every request is checked against
 * GitHub's OpenAPI description (422 like GitHub on violations), authentication follows GitHub's
 * rules (App JWT on /app endpoints, unexpired installation tokens elsewhere), content-creating
 * requests beyond 80 a minute per installation get a secondary-rate-limit 403 with retry-after,
 * contents and clones come from real git repositories, and check runs are recorded for assertions.
 */
export class GitHubStandIn {
  readonly appId: number;
  readonly privateKeyPem: string;
  private readonly publicKey: KeyObject;
  readonly spec = new OpenApi(OPENAPI_FILE);
  readonly repos = new Map<string, StandInRepo>();
  readonly checkRuns = new Map<number, RecordedCheckRun>();
  readonly requests: RecordedRequest[] = [];
  /** Validation failures answered with 422 (a test can assert there were none). */
  readonly rejections: { method: string; path: string; problems: string[] }[] = [];
  readonly tokens = new Map<string, Token>();
  /** User sign-in (OAuth web flow), users and their tokens. */
  readonly oauth = new GitHubOAuthStandIn();
  /** Bodies of every installation token request, as sent (what Helios asked for, not what it got). */
  readonly tokenRequests: { installationId: number; body: Record<string, unknown> }[] = [];
  /** Every installation token created, in order (revoked ones too). */
  readonly minted: { token: string; installationId: number; repositories: string[] | null; permissions: Record<string, string> }[] = [];
  /** Tokens revoked with DELETE /installation/token, in order. */
  readonly revokedTokens: string[] = [];
  /** Accepted content-creating requests per installation (timestamps). */
  private readonly contentLog = new Map<number, number[]>();
  private server: Server | null = null;
  private nextId = 1000;
  private outage: { until: number; status: number } | null = null;
  private forcedRateLimitUntil = 0;
  private commitCache = new Set<string>();
  /** Repository archives served (codeload downloads), by `owner/name@sha`: a test counts fetches with it. */
  readonly archiveDownloads: string[] = [];
  tokenTtlMs: number;
  readonly contentLimit: number;
  readonly contentWindowMs: number;
  url = '';
  private readonly host: string;

  constructor(options: StandInOptions = {}) {
    this.appId = options.appId ?? 4242;
    this.host = options.host ?? '127.0.0.1';
    this.tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
    this.contentLimit = options.contentLimit ?? 80;
    this.contentWindowMs = options.contentWindowMs ?? 60_000;
    // A fresh key per stand-in: no key is ever committed.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.publicKey = publicKey;
  }

  /** The REST root the plugin is configured with (GHES-style, so clone URLs derive to the host root). */
  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  addRepo(repo: Omit<StandInRepo, 'collaborators' | 'id'> & { id?: number; collaborators?: Record<string, Role> }): StandInRepo {
    const full: StandInRepo = { id: repo.id ?? this.nextId++, collaborators: {}, ...repo } as StandInRepo;
    this.repos.set(`${repo.owner}/${repo.name}`.toLowerCase(), full);
    return full;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, this.host, r));
    this.url = `http://${this.host}:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  // ── test controls ───────────────────────────────────────────────────────────────────────────────

  /** Every API request (not git) answers `status` (default 502) for `ms`. */
  failFor(ms: number, status = 502): void {
    this.outage = { until: Date.now() + ms, status };
  }

  /** Content-creating requests get a secondary-rate-limit 403 for `ms`, whatever the count. */
  rateLimitFor(ms: number): void {
    this.forcedRateLimitUntil = Date.now() + ms;
  }

  /** Every installation token issued so far is expired now (GitHub answers 401 to it). */
  expireTokens(): void {
    for (const t of this.tokens.values()) t.expiresAt = Date.now() - 1;
  }

  /** Check runs in creation order, optionally of one external id. */
  runs(externalId?: string): RecordedCheckRun[] {
    return [...this.checkRuns.values()].filter((r) => externalId === undefined || r.external_id === externalId);
  }

  /** The most content-creating requests one installation made in any window. */
  maxContentPerWindow(installationId?: number): number {
    let max = 0;
    for (const [inst, times] of this.contentLog) {
      if (installationId !== undefined && inst !== installationId) continue;
      let start = 0;
      for (let end = 0; end < times.length; end++) {
        while (times[end]! - times[start]! >= this.contentWindowMs) start++;
        max = Math.max(max, end - start + 1);
      }
    }
    return max;
  }

  // ── request handling ─────────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { method, path: url.pathname, status: 0, at: Date.now(), installationId: null, contentCreating: false };
    this.requests.push(record);
    try {
      const git = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
      if (git) {
        record.status = 200;
        return this.git(req, res, git[1]!, git[2]!, git[3]!, url.search.slice(1));
      }
      if (url.pathname.startsWith('/login/oauth/')) {
        record.status = await this.oauth.handle(req, res, url, await readBody(req));
        return;
      }
      const codeload = /^\/_codeload\/([^/]+)\/([^/]+)\/legacy\.tar\.gz\/([0-9a-f]{40})$/.exec(url.pathname);
      if (codeload) {
        // codeload.github.com: the redirect target of the tarball API, authorized by the link itself.
        const repo = this.repoOf(codeload[1]!, codeload[2]!);
        const sha = codeload[3]!;
        const tgz = this.gitOut(repo, ['archive', '--format=tar.gz', `--prefix=${repo.owner}-${repo.name}-${sha.slice(0, 7)}/`, sha]);
        if (!tgz) throw new HttpError(404, 'Not Found');
        this.archiveDownloads.push(`${repo.owner}/${repo.name}@${sha}`);
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': String(tgz.length), 'content-disposition': `attachment; filename=${repo.owner}-${repo.name}-${sha.slice(0, 7)}.tar.gz` });
        res.end(tgz);
        return;
      }
      if (!url.pathname.startsWith('/api/v3/')) throw new HttpError(404, 'Not Found');
      const path = url.pathname.slice('/api/v3'.length);
      const raw = await readBody(req);
      if (this.outage && Date.now() < this.outage.until) throw new HttpError(this.outage.status, this.outage.status === 502 ? 'Server Error' : 'Service Unavailable');
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new HttpError(400, 'Problems parsing JSON');
        }
      }
      const carried = (body as { output?: { annotations?: unknown } } | undefined)?.output?.annotations;
      if (Array.isArray(carried)) record.annotations = carried.map((a) => String((a as { message?: unknown }).message));
      const result = await this.route(method, path, url.searchParams, body, req, record);
      record.status = result.status;
      send(res, result.status, result.body, result.headers);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, `stand-in error: ${(err as Error).stack}`);
      record.status = e.status;
      send(res, e.status, { message: e.message, documentation_url: DOCS, ...e.extra }, e.headers);
    }
  }

  private git(req: IncomingMessage, res: ServerResponse, owner: string, name: string, rest: string, query: string): void {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    const auth = String(req.headers.authorization ?? '');
    const basic = /^basic\s+(.+)$/i.exec(auth);
    const [user, password] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [];
    const token = password ? this.tokens.get(password) : undefined;
    const ok = repo && user === 'x-access-token' && token && token.expiresAt > Date.now() && token.installationId === repo.installationId && (token.repositories === null || token.repositories.includes(repo.name)) && token.permissions.contents;
    if (!ok) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"', 'content-type': 'text/plain' });
      res.end('Invalid username or token. Password authentication is not supported for Git operations.\n');
      return;
    }
    if (rest.includes('receive-pack') || query.includes('git-receive-pack')) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('Permission denied: the token is read-only\n');
      return;
    }
    serveGit(req, res, repo.dir, rest, query);
  }

  private async route(method: string, path: string, query: URLSearchParams, body: unknown, req: IncomingMessage, record: RecordedRequest): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    // Endpoints GitHub has beyond the checks subset; validated here by hand.
    const contents = /^\/repos\/([^/]+)\/([^/]+)\/contents(?:\/(.*))?$/.exec(path);
    if (contents && method === 'GET') {
      const repo = this.repoOf(contents[1]!, contents[2]!);
      this.installationAuth(req, repo, 'contents', 'read', record);
      return this.contents(repo, decodeURIComponent(contents[3] ?? ''), query.get('ref'), String(req.headers.accept ?? ''));
    }
    // repos/get-commit (as application/vnd.github.sha: the bare sha) and repos/download-tarball-archive.
    const commit = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)$/.exec(path);
    if (commit && method === 'GET') {
      const repo = this.repoOf(commit[1]!, commit[2]!);
      this.installationAuth(req, repo, 'contents', 'read', record);
      const sha = this.resolveRef(repo, decodeURIComponent(commit[3]!));
      if (/application\/vnd\.github(\.v3)?\.sha/.test(String(req.headers.accept ?? ''))) return { status: 200, body: Buffer.from(sha) };
      return { status: 200, body: { sha, url: `${this.apiUrl}/repos/${repo.owner}/${repo.name}/commits/${sha}` } };
    }
    const tarball = /^\/repos\/([^/]+)\/([^/]+)\/tarball\/(.+)$/.exec(path);
    if (tarball && method === 'GET') {
      const repo = this.repoOf(tarball[1]!, tarball[2]!);
      this.installationAuth(req, repo, 'contents', 'read', record);
      const ref = decodeURIComponent(tarball[3]!);
      const sha = this.gitOut(repo, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`])?.toString().trim();
      if (!sha) throw new HttpError(404, 'Not Found');
      return { status: 302, body: Buffer.alloc(0), headers: { location: `${this.url}/_codeload/${repo.owner}/${repo.name}/legacy.tar.gz/${sha}` } };
    }
    if (path === '/user' && method === 'GET') return this.oauth.user(req);
    const repoPath = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    if (repoPath && method === 'GET') return this.oauth.repo(req, this.repos.get(`${decodeURIComponent(repoPath[1]!)}/${decodeURIComponent(repoPath[2]!)}`.toLowerCase()));
    const perm = /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/.exec(path);
    if (perm && method === 'GET') {
      const repo = this.repoOf(perm[1]!, perm[2]!);
      this.installationAuth(req, repo, 'metadata', 'read', record);
      const user = decodeURIComponent(perm[3]!);
      const role = repo.collaborators[user];
      if (!role) throw new HttpError(404, `${user} is not a user`);
      const legacy = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return { status: 200, body: { permission: legacy, role_name: role, user: { login: user, type: 'User' } } };
    }

    if (path === '/installation/token' && method === 'DELETE') {
      // Beyond the checks subset (apps/revoke-installation-access-token): the token revokes itself.
      const m = /^(?:token|bearer)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
      const token = m ? this.tokens.get(m[1]!) : undefined;
      if (!token || token.expiresAt <= Date.now()) throw new HttpError(401, 'Bad credentials');
      this.tokens.delete(token.token);
      this.revokedTokens.push(token.token);
      return { status: 204, body: Buffer.alloc(0) };
    }
    if (path === '/app/installations' && method === 'GET') {
      // Beyond the checks subset (apps/list-installations); JWT only, as GitHub.
      this.appAuth(req);
      const ids = [...new Set([...this.repos.values()].map((r) => r.installationId))];
      return { status: 200, body: ids.map((id) => ({ id, app_id: this.appId, account: { login: [...this.repos.values()].find((r) => r.installationId === id)!.owner, type: 'Organization' }, target_type: 'Organization', suspended_at: null })) };
    }
    const matched = this.spec.match(method, path);
    if (!matched) throw new HttpError(404, 'Not Found');
    const problems = this.spec.validate(matched, query, body);
    if (problems.length) this.reject(method, path, problems);
    const p = matched.params;
    switch (matched.op.operationId) {
      case 'apps/create-installation-access-token': {
        this.appAuth(req);
        return this.createToken(Number(p.installation_id), (body ?? {}) as Record<string, unknown>);
      }
      case 'apps/get-authenticated': {
        this.appAuth(req);
        return { status: 200, body: { id: this.appId, slug: 'helios-stand-in', name: 'Helios stand-in', owner: { login: 'stand-in' }, permissions: INSTALLATION_PERMISSIONS, events: ['check_run', 'check_suite', 'pull_request'] } };
      }
      case 'apps/get-repo-installation': {
        this.appAuth(req);
        const repo = this.repoOf(p.owner!, p.repo!);
        return { status: 200, body: { id: repo.installationId, app_id: this.appId, account: { login: repo.owner }, repository_selection: 'selected' } };
      }
      case 'checks/create': {
        const repo = this.repoOf(p.owner!, p.repo!);
        this.installationAuth(req, repo, 'checks', 'write', record);
        this.contentBudget(repo.installationId, record);
        return { status: 201, body: this.json(this.createRun(repo, body as Record<string, unknown>)) };
      }
      case 'checks/update': {
        const repo = this.repoOf(p.owner!, p.repo!);
        this.installationAuth(req, repo, 'checks', 'write', record);
        const run = this.runOf(repo, Number(p.check_run_id));
        this.contentBudget(repo.installationId, record);
        this.updateRun(run, body as Record<string, unknown>);
        return { status: 200, body: this.json(run) };
      }
      case 'checks/get': {
        const repo = this.repoOf(p.owner!, p.repo!);
        this.installationAuth(req, repo, 'checks', 'read', record);
        return { status: 200, body: this.json(this.runOf(repo, Number(p.check_run_id))) };
      }
      case 'checks/list-annotations': {
        const repo = this.repoOf(p.owner!, p.repo!);
        this.installationAuth(req, repo, 'checks', 'read', record);
        const run = this.runOf(repo, Number(p.check_run_id));
        const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
        const page = Number(query.get('page') ?? 1);
        return { status: 200, body: run.annotations.slice((page - 1) * perPage, page * perPage) };
      }
      case 'checks/list-for-ref': {
        const repo = this.repoOf(p.owner!, p.repo!);
        this.installationAuth(req, repo, 'checks', 'read', record);
        const sha = this.resolveRef(repo, p.ref!);
        const name = query.get('check_name');
        const appId = query.get('app_id');
        const runs = this.runs().filter((r) => r.owner === repo.owner && r.repo === repo.name && r.head_sha === sha && (!name || r.name === name) && (!appId || Number(appId) === this.appId));
        const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
        return { status: 200, body: { total_count: runs.length, check_runs: runs.reverse().slice(0, perPage).map((r) => this.json(r)) } };
      }
      default:
        throw new HttpError(501, `the stand-in does not implement ${matched.op.operationId}`);
    }
  }

  private reject(method: string, path: string, problems: SchemaProblem[]): never {
    const messages = problems.map((p) => p.message);
    this.rejections.push({ method, path, problems: messages });
    throw new HttpError(422, 'Invalid request.\n\n' + messages.join('\n'), { errors: messages, status: '422' });
  }

  // ── auth ───────────────────────────────────────────────────────────────────────────────────────

  private appAuth(req: IncomingMessage): void {
    const m = /^bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) throw new HttpError(401, 'A JSON web token could not be decoded');
    const problem = checkAppJwt(m[1]!, this.publicKey, this.appId);
    if (problem) throw new HttpError(401, problem);
  }

  private installationAuth(req: IncomingMessage, repo: StandInRepo, permission: string, level: 'read' | 'write', record: RecordedRequest): void {
    const m = /^(?:token|bearer)\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    const token = m ? this.tokens.get(m[1]!) : undefined;
    if (!token || token.expiresAt <= Date.now()) throw new HttpError(401, 'Bad credentials');
    record.installationId = token.installationId;
    const granted = token.permissions[permission];
    // An installation token reads public repositories beyond its installation (contents, metadata).
    const publicRead = repo.private === false && level === 'read' && (permission === 'contents' || permission === 'metadata') && Boolean(granted);
    const covers = publicRead || (token.installationId === repo.installationId && (token.repositories === null || token.repositories.includes(repo.name)));
    if (!covers) throw new HttpError(404, 'Not Found');
    if (!granted || (level === 'write' && granted !== 'write')) throw new HttpError(403, 'Resource not accessible by integration');
  }

  private createToken(installationId: number, body: Record<string, unknown>): { status: number; body: unknown } {
    this.tokenRequests.push({ installationId, body: structuredClone(body) });
    const repos = [...this.repos.values()].filter((r) => r.installationId === installationId);
    if (repos.length === 0) throw new HttpError(404, 'Not Found');
    let limited: string[] | null = null;
    if (Array.isArray(body.repositories)) {
      limited = body.repositories as string[];
      for (const name of limited) if (!repos.some((r) => r.name === name)) throw new HttpError(422, `There is at least one repository that does not exist or is not accessible to the parent installation.`);
    }
    if (Array.isArray(body.repository_ids)) limited = (body.repository_ids as number[]).map((id) => repos.find((r) => r.id === id)?.name ?? '');
    let permissions = { ...INSTALLATION_PERMISSIONS };
    if (body.permissions && typeof body.permissions === 'object') {
      for (const [k, v] of Object.entries(body.permissions as Record<string, string>)) {
        const have = INSTALLATION_PERMISSIONS[k];
        if (!have || (v === 'write' && have !== 'write')) throw new HttpError(422, `The permissions requested are not granted to this installation.`);
      }
      permissions = { ...(body.permissions as Record<string, string>), metadata: 'read' };
    }
    const token: Token = { token: `ghs_${randomBytes(18).toString('base64url')}`, installationId, expiresAt: Date.now() + this.tokenTtlMs, repositories: limited, permissions };
    this.tokens.set(token.token, token);
    this.minted.push({ token: token.token, installationId, repositories: limited, permissions });
    return {
      status: 201,
      body: {
        token: token.token,
        expires_at: new Date(token.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: limited ? 'selected' : 'all',
        ...(limited ? { repositories: limited.map((name) => ({ id: repos.find((r) => r.name === name)!.id, name, full_name: `${repos[0]!.owner}/${name}` })) } : {}),
      },
    };
  }

  /** GitHub's secondary limit on content creation, per installation. */
  private contentBudget(installationId: number, record: RecordedRequest): void {
    record.contentCreating = true;
    const now = Date.now();
    const log = this.contentLog.get(installationId) ?? [];
    this.contentLog.set(installationId, log);
    const recent = log.filter((t) => now - t < this.contentWindowMs);
    const forced = now < this.forcedRateLimitUntil;
    if (forced || recent.length >= this.contentLimit) {
      const waitS = forced ? Math.ceil((this.forcedRateLimitUntil - now) / 1000) : Math.ceil((recent[0]! + this.contentWindowMs - now) / 1000);
      record.contentCreating = false;
      throw new HttpError(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {}, {
        'retry-after': String(Math.max(1, waitS)),
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4000',
        'x-ratelimit-used': '1000',
        'x-ratelimit-reset': String(Math.floor(now / 1000) + 3600),
        'x-ratelimit-resource': 'core',
      });
    }
    log.push(now);
  }

  // ── check runs ───────────────────────────────────────────────────────────────────────────────────

  private createRun(repo: StandInRepo, b: Record<string, unknown>): RecordedCheckRun {
    const problems: string[] = [];
    // Rules the schema cannot express, from the description's prose.
    if ((b.status === 'completed' || b.completed_at !== undefined) && b.conclusion === undefined) problems.push('conclusion is required when status is completed or completed_at is given');
    if (b.conclusion === 'stale') problems.push('only GitHub can set conclusion stale');
    this.checkAnnotations(b, problems);
    if (problems.length) this.reject('POST', 'check-runs', problems.map((message) => ({ path: 'body', message })));
    if (!this.hasCommit(repo, String(b.head_sha))) throw new HttpError(422, 'No commit found for SHA: ' + String(b.head_sha));
    const output = (b.output ?? {}) as Record<string, unknown>;
    const status = b.conclusion !== undefined ? 'completed' : ((b.status as RecordedCheckRun['status']) ?? 'queued');
    const now = new Date().toISOString();
    const run: RecordedCheckRun = {
      id: this.nextId++,
      owner: repo.owner,
      repo: repo.name,
      installationId: repo.installationId,
      name: String(b.name),
      head_sha: String(b.head_sha),
      external_id: (b.external_id as string | undefined) ?? null,
      details_url: (b.details_url as string | undefined) ?? null,
      status,
      conclusion: (b.conclusion as string | undefined) ?? null,
      started_at: (b.started_at as string | undefined) ?? now,
      completed_at: status === 'completed' ? ((b.completed_at as string | undefined) ?? now) : null,
      output: { title: (output.title as string) ?? null, summary: (output.summary as string) ?? null, text: (output.text as string) ?? null },
      annotations: [...((output.annotations as Record<string, unknown>[]) ?? [])],
      actions: (b.actions as RecordedCheckRun['actions']) ?? [],
      history: [],
      suiteId: 1,
    };
    run.history.push({ status: run.status, conclusion: run.conclusion, title: run.output.title, at: Date.now() });
    this.checkRuns.set(run.id, run);
    return run;
  }

  private updateRun(run: RecordedCheckRun, b: Record<string, unknown>): void {
    const problems: string[] = [];
    if (b.completed_at !== undefined && b.conclusion === undefined) problems.push('conclusion is required when completed_at is given');
    if (b.conclusion === 'stale') problems.push('only GitHub can set conclusion stale');
    this.checkAnnotations(b, problems);
    if (problems.length) this.reject('PATCH', 'check-runs', problems.map((message) => ({ path: 'body', message })));
    if (b.name !== undefined) run.name = String(b.name);
    if (b.details_url !== undefined) run.details_url = String(b.details_url);
    if (b.external_id !== undefined) run.external_id = String(b.external_id);
    if (b.conclusion !== undefined) {
      run.status = 'completed';
      run.conclusion = String(b.conclusion);
      run.completed_at = (b.completed_at as string | undefined) ?? new Date().toISOString();
    } else if (b.status !== undefined) {
      run.status = b.status as RecordedCheckRun['status'];
      if (run.status !== 'completed') (run.conclusion = null), (run.completed_at = null);
    }
    const output = b.output as Record<string, unknown> | undefined;
    if (output) {
      // title/summary/text replace; annotations append (GitHub's documented behaviour).
      if (output.title !== undefined) run.output.title = String(output.title);
      if (output.summary !== undefined) run.output.summary = String(output.summary);
      if (output.text !== undefined) run.output.text = String(output.text);
      run.annotations.push(...((output.annotations as Record<string, unknown>[]) ?? []));
    }
    if (b.actions !== undefined) run.actions = b.actions as RecordedCheckRun['actions'];
    run.history.push({ status: run.status, conclusion: run.conclusion, title: run.output.title, at: Date.now() });
  }

  private checkAnnotations(b: Record<string, unknown>, problems: string[]): void {
    const anns = ((b.output as Record<string, unknown> | undefined)?.annotations as Record<string, unknown>[] | undefined) ?? [];
    anns.forEach((a, i) => {
      if ((a.start_column !== undefined || a.end_column !== undefined) && a.start_line !== a.end_line) problems.push(`annotations[${i}]: start_column/end_column need start_line == end_line`);
      if (typeof a.start_line === 'number' && typeof a.end_line === 'number' && a.end_line < a.start_line) problems.push(`annotations[${i}]: end_line before start_line`);
      if (typeof a.start_line === 'number' && a.start_line < 1) problems.push(`annotations[${i}]: start_line must be ≥ 1`);
      if (typeof a.title === 'string' && a.title.length > 255) problems.push(`annotations[${i}]: title longer than 255 characters`);
      if (typeof a.message === 'string' && Buffer.byteLength(a.message) > 64 * 1024) problems.push(`annotations[${i}]: message larger than 64 KB`);
    });
  }

  private json(run: RecordedCheckRun): Record<string, unknown> {
    return {
      id: run.id,
      head_sha: run.head_sha,
      external_id: run.external_id,
      url: `${this.apiUrl}/repos/${run.owner}/${run.repo}/check-runs/${run.id}`,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      name: run.name,
      output: { ...run.output, annotations_count: run.annotations.length, annotations_url: `${this.apiUrl}/repos/${run.owner}/${run.repo}/check-runs/${run.id}/annotations` },
      check_suite: { id: run.suiteId },
      app: { id: this.appId, slug: 'helios-ci' },
      pull_requests: [],
    };
  }

  private runOf(repo: StandInRepo, id: number): RecordedCheckRun {
    const run = this.checkRuns.get(id);
    if (!run || run.owner !== repo.owner || run.repo !== repo.name) throw new HttpError(404, 'Not Found');
    return run;
  }

  // ── repositories ──────────────────────────────────────────────────────────────────────────────────

  private repoOf(owner: string, name: string): StandInRepo {
    const repo = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new HttpError(404, 'Not Found');
    return repo;
  }

  private gitOut(repo: StandInRepo, args: string[]): Buffer | null {
    try {
      return execFileSync('git', args, { cwd: repo.dir, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
    } catch {
      return null;
    }
  }

  private hasCommit(repo: StandInRepo, sha: string): boolean {
    if (!/^[0-9a-f]{40}$/.test(sha)) return false;
    const key = `${repo.dir}@${sha}`;
    if (this.commitCache.has(key)) return true;
    const ok = this.gitOut(repo, ['cat-file', '-e', `${sha}^{commit}`]) !== null;
    if (ok) this.commitCache.add(key);
    return ok;
  }

  private resolveRef(repo: StandInRepo, ref: string): string {
    const out = this.gitOut(repo, ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]);
    if (!out) throw new HttpError(422, `No commit found for SHA: ${ref}`);
    return out.toString().trim();
  }

  private contents(repo: StandInRepo, path: string, ref: string | null, accept: string): { status: number; body: unknown; headers?: Record<string, string> } {
    // The contents API answers an unknown ref with 404 (not the 422 of endpoints taking a SHA).
    const sha = this.gitOut(repo, ['rev-parse', '--verify', '--end-of-options', `${ref ?? 'HEAD'}^{commit}`])?.toString().trim();
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const clean = path.replace(/^\/+|\/+$/g, '');
    if (clean.split('/').some((s) => s === '..')) throw new HttpError(404, 'Not Found');
    const spec = `${sha}:${clean}`;
    const type = this.gitOut(repo, ['cat-file', '-t', spec])?.toString().trim();
    if (!type) throw new HttpError(404, 'Not Found');
    const entry = (name: string, p: string, t: string, objectSha: string, size: number) => ({
      type: t === 'tree' ? 'dir' : 'file',
      name,
      path: p,
      sha: objectSha,
      size,
      url: `${this.apiUrl}/repos/${repo.owner}/${repo.name}/contents/${p}?ref=${sha}`,
    });
    if (type === 'tree') {
      const listing = this.gitOut(repo, ['ls-tree', '-z', '-l', spec])!.toString('utf8').split('\0').filter(Boolean).map((line) => {
        const [meta, name] = line.split('\t') as [string, string];
        const [, t, objectSha, size] = meta.split(/\s+/);
        return entry(name, clean ? `${clean}/${name}` : name, t!, objectSha!, Number(size) || 0);
      });
      return { status: 200, body: listing };
    }
    const content = this.gitOut(repo, ['cat-file', 'blob', spec])!;
    if (/raw/.test(accept)) return { status: 200, body: content, headers: { 'content-type': 'text/plain; charset=utf-8' } };
    const name = clean.split('/').pop()!;
    return { status: 200, body: { ...entry(name, clean, 'blob', '', content.length), encoding: 'base64', content: content.toString('base64') } };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const isBuffer = Buffer.isBuffer(body);
  const payload = isBuffer ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'content-type': isBuffer ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(payload.length),
    'x-github-media-type': 'github.v3; format=json',
    date: new Date().toUTCString(),
    ...headers,
  });
  res.end(payload);
}
