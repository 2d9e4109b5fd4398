/** What the UI asks of a forge about a signed-in user (GitHub, Forgejo/Gitea). */
export type RepoPermission = 'none' | 'read' | 'write';

export interface OAuthProvider {
  /** The forge plugin instance whose runs this provider authorizes (the `ui.signIn` key). */
  readonly forge: string;
  readonly type: 'github' | 'forgejo';
  /** Where the browser goes to sign in. `verifier`: the PKCE verifier, for providers that take one. */
  authorizeUrl(o: { state: string; redirectUri: string; challenge: string }): string;
  /** Trades the callback's code for the user's token. */
  exchange(o: { code: string; redirectUri: string; verifier: string }): Promise<string>;
  /** The signed-in user's login. */
  login(token: string): Promise<string>;
  /** The user's access to owner/name (none when the forge hides it). */
  permission(token: string, owner: string, name: string): Promise<RepoPermission>;
  /** True when owner/name is public (read anonymously). */
  isPublic(owner: string, name: string): Promise<boolean>;
}

export interface ProviderConfig {
  type: 'github' | 'forgejo';
  url: string;
  apiUrl?: string | undefined;
  clientId: string;
  clientSecret: string;
}
