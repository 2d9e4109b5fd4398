import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Role, StandInRepo } from './server.js';

/**
 * GitHub's user sign-in as a GitHub App (or OAuth app) sees it, for the web UI's tests:
 * - `GET /login/oauth/authorize?client_id&redirect_uri&state`: the user (set with `signInAs`) has
 *   already approved the app, so GitHub redirects straight back with `?code=...&state=...`
 *   (GitHub does so for an app the user authorized before). Unknown client: a 404 page.
 * - `POST /login/oauth/access_token` (JSON or form body; `Accept: application/json`): a code is
 *   single use, valid 10 minutes and bound to its client and redirect_uri. Failures answer **200**
 *   with `{error: "bad_verification_code" | "incorrect_client_credentials" | "redirect_uri_mismatch", ...}`
 *   as GitHub does.
 * - `GET /api/v3/user` with the user token: `{login, id, type}`; 401 "Bad credentials" otherwise.
 * - `GET /api/v3/repos/{o}/{r}`: with a user token, `permissions` {admin, maintain, push, triage, pull}
 *   from the collaborator role; a private repository the user cannot see, or one asked for without a
 *   token, is a 404 (GitHub hides private repositories that way). Public ones read anonymously.
 */
export class GitHubOAuthStandIn {
  readonly apps = new Map<string, { secret: string }>();
  readonly users = new Map<string, number>();
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; login: string; at: number }>();
  readonly userTokens = new Map<string, string>();
  private current: string | null = null;
  private nextUser = 5000;
  /** Exchanges answered (tests assert a code was used once). */
  readonly exchanges: { code: string; ok: boolean }[] = [];

  registerApp(): { clientId: string; clientSecret: string } {
    const clientId = `Iv1.${randomBytes(8).toString('hex')}`;
    const clientSecret = randomBytes(20).toString('hex');
    this.apps.set(clientId, { secret: clientSecret });
    return { clientId, clientSecret };
  }

  /** The user who is signed in to "GitHub" in the browser (and approves the app). */
  signInAs(login: string): void {
    if (!this.users.has(login)) this.users.set(login, this.nextUser++);
    this.current = login;
  }

  userOf(req: IncomingMessage): string | null {
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    return m ? (this.userTokens.get(m[1]!) ?? null) : null;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<number> {
    if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') {
      const clientId = url.searchParams.get('client_id') ?? '';
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (!this.apps.has(clientId) || !/^https?:\/\//.test(redirectUri)) return page(res, 404, 'Not Found');
      if (!this.current) return page(res, 200, 'Sign in to GitHub');
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, { clientId, redirectUri, login: this.current, at: Date.now() });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      const state = url.searchParams.get('state');
      if (state !== null) back.searchParams.set('state', state);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return 302;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const text = body.toString('utf8');
      const params = /^\s*\{/.test(text) ? new Map(Object.entries(JSON.parse(text) as Record<string, string>)) : new Map(new URLSearchParams(text));
      const code = String(params.get('code') ?? '');
      const entry = this.codes.get(code);
      this.codes.delete(code);
      const app = this.apps.get(String(params.get('client_id') ?? ''));
      let answer: Record<string, unknown>;
      if (!app || app.secret !== params.get('client_secret')) answer = { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' };
      else if (!entry || entry.clientId !== params.get('client_id') || Date.now() - entry.at > 600_000) answer = { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' };
      else if (params.has('redirect_uri') && params.get('redirect_uri') !== entry.redirectUri) answer = { error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' };
      else {
        const token = `ghu_${randomBytes(18).toString('hex')}`;
        this.userTokens.set(token, entry.login);
        answer = { access_token: token, token_type: 'bearer', scope: '' };
      }
      this.exchanges.push({ code, ok: 'access_token' in answer });
      // GitHub answers JSON only when asked; otherwise a form-encoded body.
      const json = String(req.headers.accept ?? '').includes('application/json');
      const payload = json ? JSON.stringify(answer) : new URLSearchParams(answer as Record<string, string>).toString();
      res.writeHead(200, { 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8' });
      res.end(payload);
      return 200;
    }
    return page(res, 404, 'Not Found');
  }

  /** `GET /user`; null when the request is not the user's. */
  user(req: IncomingMessage): { status: number; body: unknown } {
    const login = this.userOf(req);
    if (!login) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    return { status: 200, body: { login, id: this.users.get(login), type: 'User' } };
  }

  /** `GET /repos/{o}/{r}` as a user or anonymously. */
  repo(req: IncomingMessage, repo: StandInRepo | undefined): { status: number; body: unknown } {
    const login = this.userOf(req);
    if (req.headers.authorization && !login) return { status: 401, body: { message: 'Bad credentials' } };
    const role: Role | undefined = login && repo ? repo.collaborators[login] : undefined;
    const isPrivate = repo?.private !== false;
    if (!repo || (isPrivate && !role)) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository' } };
    const rank = ['read', 'triage', 'write', 'maintain', 'admin'].indexOf(role ?? '');
    const body: Record<string, unknown> = { id: repo.id, name: repo.name, full_name: `${repo.owner}/${repo.name}`, owner: { login: repo.owner }, private: isPrivate, visibility: isPrivate ? 'private' : 'public' };
    if (login) body.permissions = { admin: rank >= 4, maintain: rank >= 3, push: rank >= 2, triage: rank >= 1, pull: rank >= 0 || !isPrivate };
    return { status: 200, body };
  }
}

function page(res: ServerResponse, status: number, title: string): number {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
  return status;
}
