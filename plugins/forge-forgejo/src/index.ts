import { definePlugin, ForgeToken } from '@helios-ci/sdk';
import { ForgejoConfigSchema } from './config.js';
import { ForgejoForge } from './forgejoForge.js';
import { forgejoDoctor } from './doctor.js';

export { ForgejoForge, type ForgejoForgeOptions } from './forgejoForge.js';
export { ForgejoConfigSchema, DEFAULT_CONTEXT_TEMPLATE, DEFAULT_REQUESTS_PER_MINUTE, type ForgejoConfig } from './config.js';
export { installHook, HOOK_EVENTS, type InstallHookOptions } from './installHook.js';
export { parseDelivery, APPROVE_COMMAND } from './events.js';
export { verifySignature, sign } from './signature.js';
export { finalStatus, contextFor, truncate, describe, MAX_DESCRIPTION, WAITING_FOR_APPROVAL } from './statuses.js';
export { WORKFLOW_DIRS } from './contents.js';

export default definePlugin({
  name: 'forge-forgejo',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['forge'],
  configSchema: ForgejoConfigSchema,
  register(ctx) {
    // The kernel mounts POST /hooks/<forge.id> for every forge, so the id is the instance name.
    ctx.provide(ForgeToken, { factory: () => new ForgejoForge({ id: ctx.instance, config: ctx.config, logger: ctx.logger }) });
  },
  doctor: forgejoDoctor,
});
