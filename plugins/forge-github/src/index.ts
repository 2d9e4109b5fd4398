import { definePlugin, ForgeToken } from '@helios-ci/sdk';
import { parsePrivateKey } from './appJwt.js';
import { GitHubConfigSchema } from './config.js';
import { GitHubForge } from './githubForge.js';
import { githubDoctor } from './doctor.js';

export { GitHubForge, toPermission, type GitHubForgeOptions } from './githubForge.js';
export { GitHubConfigSchema, deriveWebUrl, DEFAULT_BASE_URL, DEFAULT_CHECK_NAME, type GitHubConfig } from './config.js';
export { signBody, verifySignature } from './signature.js';
export { mapWebhook, type MappingContext } from './events.js';
export { toGitHubAnnotation, ACTIONS, MAX_OUTPUT_CHARS, MAX_ANNOTATIONS_PER_REQUEST, type GitHubAnnotation } from './checkOutput.js';
export { renderCheckName } from './checkName.js';
export { createAppJwt, parsePrivateKey, JWT_IAT_SKEW_S, JWT_LIFETIME_S } from './appJwt.js';
export { toForgeError, retryAfterMs } from './errors.js';

export default definePlugin({
  name: 'forge-github',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['forge'],
  configSchema: GitHubConfigSchema,
  register(ctx) {
    const c = ctx.config;
    // Parsed at register so a bad key is a start-up error, not a failure at the first webhook.
    const key = parsePrivateKey(c.privateKey, ctx.instance);
    ctx.provide(ForgeToken, {
      factory: () =>
        new GitHubForge({
          // The kernel mounts POST /hooks/<forge.id>: the id must be the instance name.
          id: ctx.instance,
          appId: c.appId,
          key,
          webhookSecret: c.webhookSecret,
          baseUrl: c.baseUrl,
          ...(c.webUrl ? { webUrl: c.webUrl } : {}),
          checkName: c.checkName,
          ...(c.allowedOwners ? { allowedOwners: c.allowedOwners } : {}),
          logger: ctx.logger,
        }),
    });
  },
  doctor: githubDoctor,
});
