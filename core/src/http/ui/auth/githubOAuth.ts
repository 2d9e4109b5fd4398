import { HeliosError } from '@helios-ci/sdk';
import { forgeJson } from './forgeHttp.js';
import type { OAuthProvider, ProviderConfig, RepoPermission } from './oauthProvider.js';

/**
 * GitHub (and GitHub Enterprise Server) sign-in: the GitHub App's user authorization, which is
 * GitHub's OAuth web flow (`/login/oauth/authorize`, then `POST /login/oauth/access_token` with
 * `Accept: application/json`). The user token then reads `GET /user` and `GET /repos/{o}/{r}`,
 * whose `permissions` ({admin, maintain, push, triage, pull}) say what the user may do.
 */
export class GitHubOAuth implements OAuthProvider {
  readonly type = 'github';
  private readonly web: string;
  private readonly api: string;

  constructor(
    readonly forge: string,
    private readonly c: ProviderConfig,
  ) {
    this.web = c.url.replace(/\/+$/, '');
    this.api = (c.apiUrl ?? (/^https:\/\/github\.com$/i.test(this.web) ? 'https://api.github.com' : `${this.web}/api/v3`)).replace(/\/+$/, '');
  }

  authorizeUrl(o: { state: string; redirectUri: string }): string {
    const q = new URLSearchParams({ client_id: this.c.clientId, redirect_uri: o.redirectUri, state: o.state, allow_signup: 'false' });
    return `${this.web}/login/oauth/authorize?${q}`;
  }

  async exchange(o: { code: string; redirectUri: string }): Promise<string> {
    const r = await forgeJson(`${this.web}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: this.c.clientId, client_secret: this.c.clientSecret, code: o.code, redirect_uri: o.redirectUri }),
    });
    // GitHub answers 200 with {error, error_description} for a bad or used code.
    if (r.status !== 200 || typeof r.body?.access_token !== 'string') {
      throw new HeliosError('E_SIGN_IN_FAILED', `GitHub refused the sign-in code: ${r.body?.error_description ?? r.body?.error ?? `HTTP ${r.status}`}; sign in again`);
    }
    return r.body.access_token as string;
  }

  async login(token: string): Promise<string> {
    const r = await forgeJson(`${this.api}/user`, { headers: auth(token) });
    if (r.status !== 200 || typeof r.body?.login !== 'string') throw new HeliosError('E_SIGN_IN_FAILED', `GitHub did not say who signed in (HTTP ${r.status}); sign in again`);
    return r.body.login as string;
  }

  async permission(token: string, owner: string, name: string): Promise<RepoPermission> {
    const r = await forgeJson(`${this.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`, { headers: auth(token) });
    if (r.status === 404 || r.status === 403 || r.status === 401) return 'none';
    if (r.status !== 200) throw new HeliosError('E_UNAVAILABLE', `GitHub answered ${r.status} for ${owner}/${name}; try again`);
    const p = r.body?.permissions ?? {};
    if (p.admin || p.maintain || p.push) return 'write';
    return p.pull || r.body?.private === false ? 'read' : 'none';
  }

  async isPublic(owner: string, name: string): Promise<boolean> {
    const r = await forgeJson(`${this.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`);
    return r.status === 200 && r.body?.private === false;
  }
}

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28' });
