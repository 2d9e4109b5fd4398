// A Forgejo stand-in for tests: a node:http server on loopback that routes and validates every API
// request by forgejo-swagger.json, requires `Authorization: token <t>`, serves a real git repository
// (contents API from git, clones through `git http-backend`), records commit statuses and webhooks,
// and can be told to be down for a while.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GitReader } from './git.js';
import { serveGit } from '@helios-ci/sdk/testkit';
import { Swagger, type MatchedOperation } from './swagger.js';

export interface StandInRepo {
  owner: string;
  name: string;
  /** A real git repository (working tree with .git). */
  dir: string;
  id: number;
  /** Set for a fork: `owner/name` of its parent. */
  parent?: string;
  /** A private repository: no anonymous clone (public ones clone without a token, as on Forgejo). */
  private?: boolean;
}

import { ForgejoOAuthStandIn } from './oauth.js';

export interface StandInOptions {
  token: string;
  repos: StandInRepo[];
  /** Repository permission by user login: owner | admin | write | read. Unknown users are 404. */
  permissions?: Record<string, string>;
  /**
   * Tokens with read:repository scope only: they read the API and clone, but writes with them get
   * 403 (Forgejo: "token does not have at least one of required scope(s)").
   */
  readTokens?: string[];
  /** `gitea` behaves like Gitea where it differs from Forgejo: no "forgejo" hook type. */
  flavour?: 'forgejo' | 'gitea';
}

export interface RecordedStatus {
  id: number;
  repo: string;
  sha: string;
  context: string;
  state: string;
  description: string;
  target_url: string;
  at: number;
}

export interface RecordedHook {
  id: number;
  repo: string;
  type: string;
  config: Record<string, string>;
  events: string[];
  active: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId?: string;
  status: number;
  at: number;
}

/** Forgejo's CommitStatusState values (the swagger only says "string"). */
const STATUS_STATES = ['pending', 'success', 'error', 'failure', 'warning'];
const HOOK_CONTENT_TYPES = ['json', 'form'];

/** `raw`: a binary answer (archives) sent as is with `contentType`; its status must still be one the swagger declares. */
type Reply = { status: number; body?: unknown; raw?: Buffer; contentType?: string };

export class ForgejoStandIn {
  readonly swagger = new Swagger();
  /** User sign-in (OAuth2 provider) and the users' tokens. */
  readonly oauth = new ForgejoOAuthStandIn();
  readonly statuses: RecordedStatus[] = [];
  readonly hooks: RecordedHook[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Answers of the stand-in itself that broke the swagger: a bug in the stand-in, tests assert none. */
  readonly selfProblems: string[] = [];
  url = '';
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private downUntil = 0;
  private downMode: '503' | 'reset' | 'hang' = '503';
  /** API requests held open by `down(ms, 'hang')`, never answered. */
  private readonly hanging = new Set<IncomingMessage>();
  /** Archives served (repoGetArchive), as `owner/name@sha`: a test counts fetches with it. */
  readonly archiveDownloads: string[] = [];
  /** Tokens each git request (clone/fetch) authenticated with: '' for anonymous. */
  readonly gitTokens: string[] = [];
  private nextId = 1;

  constructor(readonly o: StandInOptions) {}

  static async start(o: StandInOptions): Promise<ForgejoStandIn> {
    const s = new ForgejoStandIn(o);
    await s.listen();
    return s;
  }

  private listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.selfProblems.push(`handler crashed: ${(err as Error).stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'stand-in crashed', url: '' }));
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server = server;
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve();
      });
    });
  }

  /** For `ms` from now every API request fails: 503, the connection is reset, or it is never answered. */
  down(ms: number, mode: '503' | 'reset' | 'hang' = '503'): void {
    this.downUntilTime(Date.now() + ms, mode);
  }

  /** Down until the absolute time `at` (ms since the epoch): back-to-back outages leave no gap. */
  downUntilTime(at: number, mode: '503' | 'reset' | 'hang' = '503'): void {
    this.downUntil = at;
    this.downMode = mode;
  }

  up(): void {
    this.downUntil = 0;
  }

  /** How many requests are held open right now by the 'hang' mode. */
  hangingRequests(): number {
    return this.hanging.size;
  }

  /** Statuses of one commit (and context), in the order they arrived. */
  statusesOf(sha: string, context?: string): RecordedStatus[] {
    return this.statuses.filter((s) => s.sha === sha && (context === undefined || s.context === context));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private repo(owner: string, name: string): StandInRepo | undefined {
    return this.o.repos.find((r) => r.owner.toLowerCase() === owner.toLowerCase() && r.name.toLowerCase() === name.toLowerCase());
  }

  /** The token a request carries: `Authorization: token …`, or (git clients) Basic with the token as password. */
  private tokenOf(req: IncomingMessage, allowBasic: boolean): string | undefined {
    const auth = req.headers.authorization ?? '';
    const token = /^token\s+(\S+)$/i.exec(auth)?.[1];
    if (token !== undefined) return token;
    const basic = /^basic\s+(\S+)$/i.exec(auth)?.[1];
    if (allowBasic && basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      return decoded.slice(decoded.indexOf(':') + 1);
    }
    return undefined;
  }

  private authorized(req: IncomingMessage, allowBasic: boolean, write: boolean): 'ok' | 'unauthorized' | 'forbidden' {
    const token = this.tokenOf(req, allowBasic);
    if (token === undefined) return 'unauthorized';
    if (token === this.o.token) return 'ok';
    if (this.o.readTokens?.includes(token)) return write ? 'forbidden' : 'ok';
    return 'unauthorized';
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    // A status counts from when its request arrived (as the down check does), not from when the
    // stand-in finished reading git: on a loaded machine that can fall inside a later outage.
    const arrivedAt = Date.now();
    const record = (status: number, operationId?: string) => this.requests.push({ method: req.method ?? '', path: url.pathname, status, at: Date.now(), ...(operationId ? { operationId } : {}) });
    if (Date.now() < this.downUntil) {
      record(this.downMode === '503' ? 503 : 0);
      if (this.downMode === 'hang') {
        this.hanging.add(req);
        req.socket.once('close', () => this.hanging.delete(req));
        return;
      }
      if (this.downMode === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
    }
    const git = /^\/([^/]+)\/([^/]+?)\.git(\/.*)$/.exec(url.pathname);
    if (git) {
      const repo = this.repo(decodeURIComponent(git[1]!), decodeURIComponent(git[2]!));
      const anonymous = req.headers.authorization === undefined && repo !== undefined && !repo.private;
      if (!anonymous && this.authorized(req, true, false) !== 'ok') {
        record(401);
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Gitea"' });
        res.end('Unauthorized');
        return;
      }
      if (!repo || !/^\/(info\/refs|git-upload-pack)$/.test(git[3]!)) {
        record(404);
        res.writeHead(404);
        res.end('Not found');
        return;
      }
      record(200);
      this.gitTokens.push(this.tokenOf(req, true) ?? '');
      serveGit(req, res, repo.dir, git[3]!, url.search.slice(1));
      return;
    }
    if (url.pathname.startsWith('/login/oauth/')) {
      record(this.oauth.handle(req, res, url, await readBody(req)));
      return;
    }
    const base = this.swagger.spec.basePath;
    const userReply = this.userRequest(req, url.pathname.slice(base.length));
    if (userReply && url.pathname.startsWith(base + '/')) return this.send(res, record, this.swagger.match('GET', url.pathname.slice(base.length)) as MatchedOperation, userReply);
    if (!url.pathname.startsWith(base + '/')) return this.send(res, record, null, { status: 404, body: { message: 'not found', url: url.href } });
    const match = this.swagger.match(req.method ?? 'GET', url.pathname.slice(base.length));
    if (match === null) return this.send(res, record, null, { status: 404, body: { message: `no route ${url.pathname} in the Forgejo API`, url: url.href } });
    if (match === 'method-not-allowed') return this.send(res, record, null, { status: 405, body: { message: `${req.method} is not allowed on ${url.pathname}`, url: url.href } });
    const auth = this.authorized(req, false, req.method !== 'GET');
    if (auth === 'unauthorized') return this.send(res, record, match, { status: 401, body: { message: 'token is required', url: url.href } });
    if (auth === 'forbidden') return this.send(res, record, match, { status: 403, body: { message: 'token does not have at least one of required scope(s): [write:repository]', url: url.href } });
    const paramProblems = this.swagger.checkParameters(match, url.searchParams);
    if (paramProblems.length) return this.send(res, record, match, { status: 422, body: { message: paramProblems.join('; '), url: url.href } });
    let body: Record<string, unknown> = {};
    const raw = await readBody(req);
    const schema = this.swagger.bodySchema(match);
    if (raw.length) {
      if (!schema) return this.send(res, record, match, { status: 400, body: { message: `${match.operation.operationId} takes no body`, url: url.href } });
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return this.send(res, record, match, { status: 415, body: { message: 'content-type must be application/json', url: url.href } });
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return this.send(res, record, match, { status: 422, body: { message: 'body is not JSON', url: url.href } });
      }
      // Forgejo's binding refuses ill-typed bodies with 422 (APIValidationError).
      const problems = this.swagger.validate(schema, body, 'body', true);
      if (problems.length) return this.send(res, record, match, { status: 422, body: { message: problems.join('; '), url: url.href } });
    }
    const reply = await this.operation(match, url, body, arrivedAt);
    this.send(res, record, match, reply);
  }

  private send(res: ServerResponse, record: (status: number, op?: string) => void, match: MatchedOperation | null, reply: Reply): void {
    if (reply.raw) {
      if (match && !(String(reply.status) in match.operation.responses)) this.selfProblems.push(`${match.operation.operationId} answered ${reply.status}, which the swagger does not declare`);
      record(reply.status, match?.operation.operationId);
      res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/octet-stream', 'content-length': String(reply.raw.length) });
      res.end(reply.raw);
      return;
    }
    if (match && reply.status < 300) {
      // The stand-in's own answers must match the swagger too (dir listings are arrays of the
      // documented ContentsResponse, as the operation's summary says).
      const schema = this.swagger.responseSchema(match, reply.status);
      if (schema === null) this.selfProblems.push(`${match.operation.operationId} answered ${reply.status}, which the swagger does not declare`);
      const items = Array.isArray(reply.body) && schema && !('type' in schema) ? reply.body : [reply.body];
      for (const item of items) {
        const problems = this.swagger.validate(schema ?? undefined, item, 'response');
        if (problems.length) this.selfProblems.push(`${match.operation.operationId}: ${problems.join('; ')}`);
      }
    }
    record(reply.status, match?.operation.operationId);
    if (reply.body === undefined) {
      res.writeHead(reply.status);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json;charset=utf-8' });
    res.end(JSON.stringify(reply.body));
  }

  private async operation(m: MatchedOperation, url: URL, body: Record<string, unknown>, arrivedAt: number): Promise<Reply> {
    const notFound = (what: string): Reply => ({ status: 404, body: { errors: [what], message: 'The target couldn\'t be found.', url: url.href } });
    if (m.operation.operationId === 'userGetCurrent') return { status: 200, body: { id: 1, login: 'helios-bot', full_name: 'Helios', email: 'helios@example.org', is_admin: false, active: true } };
    const repo = this.repo(m.params.owner ?? '', m.params.repo ?? '');
    if (!repo) return notFound(`repository ${m.params.owner}/${m.params.repo} does not exist`);
    const full = `${repo.owner}/${repo.name}`;
    const reader = new GitReader(repo.dir);
    switch (m.operation.operationId) {
      case 'repoGet':
        return { status: 200, body: this.repository(repo) };
      case 'repoCreateStatus': {
        const state = body.state as string | undefined;
        if (!state || !STATUS_STATES.includes(state)) return { status: 400, body: { message: `invalid state ${JSON.stringify(state)}`, url: url.href } };
        const sha = await reader.commit(m.params.sha!);
        if (!sha || sha !== m.params.sha) return notFound(`commit ${m.params.sha} does not exist`);
        const status: RecordedStatus = {
          id: this.nextId++,
          repo: full,
          sha,
          context: String(body.context ?? ''),
          state,
          description: String(body.description ?? ''),
          target_url: String(body.target_url ?? ''),
          at: arrivedAt,
        };
        this.statuses.push(status);
        return { status: 201, body: this.commitStatus(status) };
      }
      case 'repoListStatuses': {
        const list = this.statuses.filter((s) => s.repo === full && s.sha === m.params.sha).reverse();
        return { status: 200, body: list.map((s) => this.commitStatus(s)) };
      }
      case 'repoGetContents': {
        const ref = url.searchParams.get('ref') || 'HEAD';
        const commit = await reader.commit(ref);
        if (!commit) return notFound(`ref ${ref} does not exist`);
        const path = m.params.filepath!.replace(/^\/+|\/+$/g, '');
        const entry = await reader.entry(commit, path);
        if (!entry) return notFound(`object ${path} does not exist`);
        if (entry.type === 'tree') {
          const children = await reader.list(commit, path);
          return { status: 200, body: await Promise.all(children.map((c) => this.contents(repo, reader, commit, ref, c, false))) };
        }
        return { status: 200, body: await this.contents(repo, reader, commit, ref, entry, true) };
      }
      case 'repoGetSingleCommit': {
        // routers/api/v1/repo/commits.go GetSingleCommit: a ref or sha; unknown → 404.
        const sha = await reader.commit(m.params.sha!);
        if (!sha) return notFound(`commit ${m.params.sha} does not exist`);
        return { status: 200, body: { sha, url: `${this.url}/api/v1/repos/${full}/git/commits/${sha}`, html_url: `${this.url}/${full}/commit/${sha}`, created: new Date().toISOString(), parents: [] } };
      }
      case 'repoGetArchive': {
        // routers/api/v1/repo/file.go GetArchive: `<ref>.tar.gz` | `.zip` | `.bundle`; the tar's entries sit under `<repo name>/`.
        const archive = /^(.+)\.tar\.gz$/.exec(m.params.archive!);
        if (!archive) return notFound(`archive format of ${m.params.archive} not served by the stand-in`);
        const sha = await reader.commit(archive[1]!);
        if (!sha) return notFound(`ref ${archive[1]} does not exist`);
        const raw = await reader.archive(sha, `${repo.name}/`);
        this.archiveDownloads.push(`${full}@${sha}`);
        return { status: 200, raw, contentType: 'application/gzip' };
      }
      case 'repoGetRepoPermissions': {
        const permission = this.o.permissions?.[m.params.collaborator!];
        if (!permission) return notFound(`user ${m.params.collaborator} does not exist`);
        return { status: 200, body: { permission, role_name: permission, user: this.user(m.params.collaborator!) } };
      }
      case 'repoListHooks':
        return { status: 200, body: this.hooks.filter((h) => h.repo === full).map((h) => this.hook(h)) };
      case 'repoCreateHook': {
        const problem = this.checkHook(body, true);
        if (problem) return { status: 422, body: { message: problem, url: url.href } };
        const config = body.config as Record<string, string>;
        const hook: RecordedHook = {
          id: this.nextId++,
          repo: full,
          type: body.type as string,
          config: { ...config },
          // routers/api/v1/utils/hook.go: no events means push only; `active` defaults to false.
          events: (body.events as string[] | undefined)?.length ? [...(body.events as string[])] : ['push'],
          active: body.active === true,
        };
        this.hooks.push(hook);
        return { status: 201, body: this.hook(hook) };
      }
      case 'repoEditHook': {
        const hook = this.hooks.find((h) => h.repo === full && h.id === Number(m.params.id));
        if (!hook) return notFound(`hook ${m.params.id} does not exist`);
        const problem = body.config ? this.checkHook({ ...body, type: hook.type }, false) : null;
        if (problem) return { status: 422, body: { message: problem, url: url.href } };
        if (body.config) hook.config = { ...hook.config, ...(body.config as Record<string, string>) };
        if (Array.isArray(body.events)) hook.events = [...(body.events as string[])];
        if (typeof body.active === 'boolean') hook.active = body.active;
        return { status: 200, body: this.hook(hook) };
      }
      default:
        return { status: 501, body: { message: `the stand-in does not implement ${m.operation.operationId}`, url: url.href } };
    }
  }

  /** The checks of routers/api/v1/utils/hook.go the swagger cannot express. */
  private checkHook(body: Record<string, unknown>, creating: boolean): string | null {
    const config = (body.config ?? {}) as Record<string, string>;
    if (creating && !body.type) return 'type is required';
    if (creating && this.o.flavour === 'gitea' && body.type === 'forgejo') return 'Invalid hook type';
    if (!config.url) return 'config.url is required';
    if (!config.content_type) return 'config.content_type is required';
    if (!HOOK_CONTENT_TYPES.includes(config.content_type)) return `invalid content type ${config.content_type}`;
    if (!/^https?:\/\/[^\s/]+/.test(config.url)) return `invalid url ${config.url}`;
    return null;
  }

  /**
   * A signed-in user's (OAuth token) or an anonymous `GET /user` and `GET /repos/{o}/{r}`: the
   * repository's `permissions` from the user's entry in `permissions` (owner/admin, write, read);
   * private repositories are 404 to users without one and to anonymous readers. Null: not such a request.
   */
  private userRequest(req: IncomingMessage, path: string): Reply | null {
    if (req.method !== 'GET') return null;
    const login = this.oauth.userOf(req);
    if (!login && req.headers.authorization !== undefined) return null;
    if (path === '/user') return login ? { status: 200, body: this.user(login) } : null;
    const m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return null;
    const r = this.repo(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
    const role = login ? this.o.permissions?.[login] : undefined;
    if (!r || (r.private && !role)) return { status: 404, body: { message: 'The target couldn\'t be found.', url: '' } };
    const admin = role === 'owner' || role === 'admin';
    return { status: 200, body: { ...this.repository(r), ...(login ? { permissions: { admin, push: admin || role === 'write', pull: Boolean(role) || !r.private } } : {}) } };
  }

  private user(login: string) {
    return { id: [...login].reduce((a, c) => a + c.charCodeAt(0), 0), login, login_name: '', full_name: '', email: `${login}@example.test`, html_url: `${this.url}/${login}`, is_admin: false };
  }

  private repository(r: StandInRepo): Record<string, unknown> {
    const parent = r.parent ? this.o.repos.find((p) => `${p.owner}/${p.name}` === r.parent) : undefined;
    return {
      id: r.id,
      name: r.name,
      full_name: `${r.owner}/${r.name}`,
      owner: this.user(r.owner),
      fork: Boolean(parent),
      ...(parent ? { parent: this.repository(parent) } : {}),
      private: r.private ?? false,
      default_branch: 'main',
      html_url: `${this.url}/${r.owner}/${r.name}`,
      clone_url: `${this.url}/${r.owner}/${r.name}.git`,
      ssh_url: `ssh://git@127.0.0.1/${r.owner}/${r.name}.git`,
    };
  }

  private commitStatus(s: RecordedStatus) {
    const at = new Date(s.at).toISOString();
    return { id: s.id, status: s.state, context: s.context, description: s.description, target_url: s.target_url, url: `${this.url}/api/v1/repos/${s.repo}/statuses/${s.sha}`, created_at: at, updated_at: at, creator: this.user('helios') };
  }

  private hook(h: RecordedHook) {
    // Forgejo never returns the secret.
    const { secret: _secret, ...config } = h.config;
    return { id: h.id, type: h.type, config, events: h.events, active: h.active, branch_filter: '', authorization_header: '', content_type: config.content_type ?? '', url: config.url ?? '', created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
  }

  private async contents(r: StandInRepo, reader: GitReader, commit: string, ref: string, e: { type: string; sha: string; size: number; path: string }, withContent: boolean) {
    const type = e.type === 'tree' ? 'dir' : e.type === 'commit' ? 'submodule' : 'file';
    const name = e.path.split('/').pop() ?? e.path;
    const api = `${this.url}/api/v1/repos/${r.owner}/${r.name}/contents/${e.path}?ref=${encodeURIComponent(ref)}`;
    return {
      name,
      path: e.path,
      sha: e.sha,
      last_commit_sha: await reader.lastCommit(commit, e.path),
      type,
      size: e.size,
      encoding: withContent && type === 'file' ? 'base64' : null,
      content: withContent && type === 'file' ? (await reader.blob(e.sha)).toString('base64') : null,
      target: null,
      url: api,
      html_url: `${this.url}/${r.owner}/${r.name}/src/commit/${commit}/${e.path}`,
      git_url: `${this.url}/api/v1/repos/${r.owner}/${r.name}/git/blobs/${e.sha}`,
      download_url: type === 'file' ? `${this.url}/${r.owner}/${r.name}/raw/commit/${commit}/${e.path}` : null,
      submodule_git_url: null,
      _links: { self: api, git: `${this.url}/api/v1/repos/${r.owner}/${r.name}/git/blobs/${e.sha}`, html: `${this.url}/${r.owner}/${r.name}/src/commit/${commit}/${e.path}` },
    };
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
