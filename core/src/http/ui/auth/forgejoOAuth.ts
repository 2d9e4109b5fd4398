import { HeliosError } from '@helios-ci/sdk';
import { forgeJson } from './forgeHttp.js';
import type { OAuthProvider, ProviderConfig, RepoPermission } from './oauthProvider.js';

/**
 * Forgejo/Gitea sign-in: an OAuth2 application's authorization code flow with PKCE (S256)
 * (`/login/oauth/authorize`, `POST /login/oauth/access_token` with grant_type authorization_code),
 * then `GET /api/v1/user` and `GET /api/v1/repos/{o}/{r}` (`permissions`: {admin, push, pull}).
 */
export class ForgejoOAuth implements OAuthProvider {
  readonly type = 'forgejo';
  private readonly web: string;
  private readonly api: string;

  constructor(
    readonly forge: string,
    private readonly c: ProviderConfig,
  ) {
    this.web = c.url.replace(/\/+$/, '');
    this.api = (c.apiUrl ?? `${this.web}/api/v1`).replace(/\/+$/, '');
  }

  authorizeUrl(o: { state: string; redirectUri: string; challenge: string }): string {
    const q = new URLSearchParams({ client_id: this.c.clientId, redirect_uri: o.redirectUri, response_type: 'code', state: o.state, code_challenge: o.challenge, code_challenge_method: 'S256' });
    return `${this.web}/login/oauth/authorize?${q}`;
  }

  async exchange(o: { code: string; redirectUri: string; verifier: string }): Promise<string> {
    const r = await forgeJson(`${this.web}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', client_id: this.c.clientId, client_secret: this.c.clientSecret, code: o.code, redirect_uri: o.redirectUri, code_verifier: o.verifier }),
    });
    if (r.status !== 200 || typeof r.body?.access_token !== 'string') {
      throw new HeliosError('E_SIGN_IN_FAILED', `the forge refused the sign-in code: ${r.body?.error_description ?? r.body?.error ?? `HTTP ${r.status}`}; sign in again`);
    }
    return r.body.access_token as string;
  }

  async login(token: string): Promise<string> {
    const r = await forgeJson(`${this.api}/user`, { headers: auth(token) });
    if (r.status !== 200 || typeof r.body?.login !== 'string') throw new HeliosError('E_SIGN_IN_FAILED', `the forge did not say who signed in (HTTP ${r.status}); sign in again`);
    return r.body.login as string;
  }

  async permission(token: string, owner: string, name: string): Promise<RepoPermission> {
    const r = await forgeJson(`${this.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`, { headers: auth(token) });
    if (r.status === 404 || r.status === 403 || r.status === 401) return 'none';
    if (r.status !== 200) throw new HeliosError('E_UNAVAILABLE', `the forge answered ${r.status} for ${owner}/${name}; try again`);
    const p = r.body?.permissions ?? {};
    if (p.admin || p.push) return 'write';
    return p.pull || r.body?.private === false ? 'read' : 'none';
  }

  async isPublic(owner: string, name: string): Promise<boolean> {
    const r = await forgeJson(`${this.api}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`);
    return r.status === 200 && r.body?.private === false;
  }
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
