import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Forgejo's OAuth2 provider (routers/web/auth/oauth.go) as a Helios sign-in sees it:
 * - `GET /login/oauth/authorize?client_id&redirect_uri&response_type=code&state[&code_challenge&code_challenge_method=S256]`:
 *   the signed-in user (`signInAs`) already granted the application, so Forgejo redirects back with
 *   `?code=...&state=...`. An unknown client or a redirect_uri not registered for it: 400 page.
 * - `POST /login/oauth/access_token` (JSON or form): `grant_type=authorization_code`, `code`,
 *   `client_id`, `client_secret`, `redirect_uri`, `code_verifier` (required when a challenge was
 *   sent). Success `{access_token, token_type: "bearer", expires_in, refresh_token}`; failure
 *   **400** `{error: "invalid_grant" | "invalid_client" | "unsupported_grant_type", error_description}`.
 * The tokens it issues are accepted by the API as `Authorization: Bearer <token>` (or `token <token>`).
 */
export class ForgejoOAuthStandIn {
  readonly apps = new Map<string, { secret: string; redirectUris: string[] }>();
  private readonly codes = new Map<string, { clientId: string; redirectUri: string; login: string; challenge: string | null; at: number }>();
  readonly userTokens = new Map<string, string>();
  private current: string | null = null;

  registerApp(redirectUris: string[]): { clientId: string; clientSecret: string } {
    const clientId = randomBytes(16).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    const clientSecret = `gto_${randomBytes(24).toString('base64url')}`;
    this.apps.set(clientId, { secret: clientSecret, redirectUris });
    return { clientId, clientSecret };
  }

  signInAs(login: string): void {
    this.current = login;
  }

  userOf(req: IncomingMessage): string | null {
    const m = /^(?:bearer|token)\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    return m ? (this.userTokens.get(m[1]!) ?? null) : null;
  }

  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): number {
    if (url.pathname === '/login/oauth/authorize' && req.method === 'GET') {
      const q = url.searchParams;
      const app = this.apps.get(q.get('client_id') ?? '');
      const redirectUri = q.get('redirect_uri') ?? '';
      if (!app || !app.redirectUris.includes(redirectUri) || q.get('response_type') !== 'code') return reply(res, 400, 'text/html', '<h1>Invalid client or redirect URI</h1>');
      const method = q.get('code_challenge_method');
      if (q.get('code_challenge') && method !== 'S256' && method !== 'plain') return reply(res, 400, 'text/html', '<h1>Unsupported code challenge method</h1>');
      if (!this.current) return reply(res, 200, 'text/html', '<h1>Sign in</h1>');
      const code = randomBytes(16).toString('hex');
      this.codes.set(code, { clientId: q.get('client_id')!, redirectUri, login: this.current, challenge: q.get('code_challenge'), at: Date.now() });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (q.has('state')) back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() });
      res.end();
      return 302;
    }
    if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
      const text = body.toString('utf8');
      const p = /^\s*\{/.test(text) ? new Map(Object.entries(JSON.parse(text) as Record<string, string>)) : new Map(new URLSearchParams(text));
      const fail = (error: string, description: string) => reply(res, 400, 'application/json', JSON.stringify({ error, error_description: description }));
      if (p.get('grant_type') !== 'authorization_code') return fail('unsupported_grant_type', 'Only refresh_token or authorization_code grant type is supported');
      const app = this.apps.get(String(p.get('client_id') ?? ''));
      if (!app || app.secret !== p.get('client_secret')) return fail('invalid_client', 'invalid client secret');
      const code = String(p.get('code') ?? '');
      const grant = this.codes.get(code);
      this.codes.delete(code);
      if (!grant || grant.clientId !== p.get('client_id') || Date.now() - grant.at > 600_000) return fail('invalid_grant', 'client is not authorized');
      if (grant.redirectUri !== p.get('redirect_uri')) return fail('invalid_grant', 'unexpected redirect URI');
      if (grant.challenge) {
        const verifier = String(p.get('code_verifier') ?? '');
        if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge) return fail('invalid_grant', 'failed PKCE code challenge');
      }
      const token = `gto_${randomBytes(20).toString('hex')}`;
      this.userTokens.set(token, grant.login);
      return reply(res, 200, 'application/json', JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 3600, refresh_token: randomBytes(20).toString('hex') }));
    }
    return reply(res, 404, 'text/plain', 'Not found');
  }
}

function reply(res: ServerResponse, status: number, type: string, text: string): number {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(text);
  return status;
}
