import { HeliosError } from '@helios-ci/sdk';
import type { Kernel } from '../../../kernel/kernel.js';
import type { Store } from '../../../store/index.js';
import { Access } from './access.js';
import { ForgejoOAuth } from './forgejoOAuth.js';
import { GitHubOAuth } from './githubOAuth.js';
import type { OAuthProvider } from './oauthProvider.js';
import { SessionStore } from './sessionStore.js';

/** The UI's access rules from `ui:` in helios.yaml; client secrets come from the environment and are redacted. */
export function createAccess(kernel: Kernel, store: Store, adminToken: string, env: NodeJS.ProcessEnv): { access: Access; sessions: SessionStore } {
  const ui = kernel.config.ui;
  const providers = new Map<string, OAuthProvider>();
  for (const [forge, c] of Object.entries(ui.signIn)) {
    const clientSecret = env[c.clientSecretEnv];
    if (!clientSecret) {
      throw new HeliosError('E_CONFIG_INVALID', `ui.signIn.${forge}.clientSecretEnv names ${c.clientSecretEnv}, which is not set; export it with the OAuth application's client secret`);
    }
    kernel.redactor.add(clientSecret);
    const config = { type: c.type, url: c.url, apiUrl: c.apiUrl, clientId: c.clientId, clientSecret };
    providers.set(forge, c.type === 'github' ? new GitHubOAuth(forge, config) : new ForgejoOAuth(forge, config));
  }
  const sessions = new SessionStore(store.db, () => store.clock.now());
  sessions.pruneExpired();
  const access = new Access({
    adminToken,
    sessions,
    providers,
    publicRepositoriesReadable: ui.publicRepositoriesReadable,
    requireAuthForLogs: kernel.config.server.requireAuthForLogs,
    cacheMs: ui.permissionCacheSeconds * 1000,
    now: () => Date.now(),
  });
  return { access, sessions };
}
