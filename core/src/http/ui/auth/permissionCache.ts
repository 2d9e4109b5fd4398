import type { RepoPermission } from './oauthProvider.js';

const MAX_ENTRIES = 10_000;

/**
 * Forge permission answers kept for a short while (ui.permissionCacheSeconds), so a page with a
 * live status does not ask the forge on every poll; concurrent asks for one key share one request.
 * A failed ask is not cached.
 */
export class PermissionCache {
  private readonly entries = new Map<string, { at: number; value: Promise<RepoPermission> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string, ask: () => Promise<RepoPermission>): Promise<RepoPermission> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = ask();
    this.entries.set(key, { at: this.now(), value });
    value.catch(() => this.entries.get(key)?.value === value && this.entries.delete(key));
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
