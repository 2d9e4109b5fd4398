import type { Context } from 'koa';
import { HeliosError } from '@helios-ci/sdk';
import type { RunRecord } from '../../../store/index.js';
import { tokenMatches } from '../../api/requireAdmin.js';
import type { OAuthProvider, RepoPermission } from './oauthProvider.js';
import { PermissionCache } from './permissionCache.js';
import type { Session, SessionStore } from './sessionStore.js';

export const SESSION_COOKIE = 'helios_session';

export type Viewer = { kind: 'anonymous' } | { kind: 'admin' } | { kind: 'user'; sessionId: string; session: Session };

export interface AccessOptions {
  adminToken: string;
  sessions: SessionStore;
  providers: ReadonlyMap<string, OAuthProvider>;
  publicRepositoriesReadable: boolean;
  /** server.requireAuthForLogs: runs no sign-in provider covers are for the admin token only. */
  requireAuthForLogs: boolean;
  cacheMs: number;
  now: () => number;
}

/**
 * Who is asking, and what they may do with a run. A run of a forge with a sign-in provider is
 * authorized by that forge: its public repositories are readable by anyone (unless
 * ui.publicRepositoriesReadable is false), a signed-in user gets what the forge says (read, or write
 * for push/maintain/admin). Runs no provider covers (API and local runs, forges without sign-in) are
 * readable as server.requireAuthForLogs says and writable with the admin token only, as before.
 */
export class Access {
  private readonly cache: PermissionCache;

  constructor(private readonly o: AccessOptions) {
    this.cache = new PermissionCache(o.cacheMs, o.now);
  }

  get signInProviders(): ReadonlyMap<string, OAuthProvider> {
    return this.o.providers;
  }

  viewer(ctx: Context): Viewer {
    const header = ctx.get('authorization');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m && tokenMatches(this.o.adminToken, m[1]!)) return { kind: 'admin' };
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (id) {
      const session = this.o.sessions.get(id);
      if (session && this.o.providers.has(session.provider)) return { kind: 'user', sessionId: id, session };
    }
    return { kind: 'anonymous' };
  }

  async permission(viewer: Viewer, run: Pick<RunRecord, 'forge' | 'repo'>): Promise<RepoPermission> {
    if (viewer.kind === 'admin') return 'write';
    const provider = run.forge ? this.o.providers.get(run.forge) : undefined;
    if (!provider) return this.o.requireAuthForLogs ? 'none' : 'read';
    const { owner, name } = run.repo;
    let perm: RepoPermission = 'none';
    if (viewer.kind === 'user' && viewer.session.provider === provider.forge) {
      const token = viewer.session.token;
      perm = await this.cache.get(`u\u0000${viewer.session.idHash}\u0000${owner}/${name}`, () => provider.permission(token, owner, name));
    }
    if (perm === 'none' && this.o.publicRepositoriesReadable) {
      const open = await this.cache.get(`p\u0000${provider.forge}\u0000${owner}/${name}`, async () => ((await provider.isPublic(owner, name)) ? 'read' : 'none'));
      if (open === 'read') perm = 'read';
    }
    return perm;
  }

  async requireRead(ctx: Context, run: Pick<RunRecord, 'forge' | 'repo' | 'id'>): Promise<Viewer> {
    const viewer = this.viewer(ctx);
    if ((await this.permission(viewer, run)) === 'none') throw this.denied(viewer, 'see this run');
    return viewer;
  }

  async requireWrite(ctx: Context, run: Pick<RunRecord, 'forge' | 'repo' | 'id'>): Promise<Viewer> {
    const viewer = this.viewer(ctx);
    if ((await this.permission(viewer, run)) !== 'write') throw this.denied(viewer, 'change this run (write access to the repository is needed)');
    return viewer;
  }

  private denied(viewer: Viewer, what: string): HeliosError {
    if (viewer.kind === 'user') return new HeliosError('E_FORBIDDEN', `${viewer.session.login} may not ${what}; ask a maintainer of the repository for access`);
    const how = this.o.providers.size ? 'sign in with the forge (/auth/signin)' : 'send "Authorization: Bearer <admin token>"';
    return new HeliosError('E_UNAUTHORIZED', `you may not ${what} without signing in; ${how}`);
  }
}
