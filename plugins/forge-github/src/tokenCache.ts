/**
 * The installation-token cache handed to @octokit/auth-app. Its own cache keeps every token for 59
 * minutes whatever its `expires_at`; this one forgets a token `refreshMarginMs` before it expires
 * (so a token handed to an agent or used for a long request still has time left) and can drop all
 * tokens of an installation when GitHub answers 401 (revoked or expired early).
 */
export class InstallationTokenCache {
  private readonly entries = new Map<string, string>();

  constructor(
    private readonly refreshMarginMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** auth-app's value: `token|createdAt|expiresAt|selection|permissions|file`. */
  get(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    const expiresAt = Date.parse(value.split('|')[2] ?? '');
    if (!Number.isFinite(expiresAt) || expiresAt - this.refreshMarginMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.set(key, value);
  }

  /** Forgets every token of one installation (auth-app keys start with the installation id). */
  invalidate(installationId: string): void {
    for (const key of this.entries.keys()) if (key === installationId || key.startsWith(`${installationId}|`)) this.entries.delete(key);
  }
}
