import { ForgeToken, HeliosError, isForgeAdmin } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';

/**
 * `helios forgejo install-hook`: asks a configured forge instance to create its repository webhook.
 * The forge-specific work lives in the plugin (ForgeAdmin.installHook); core only picks the
 * instance and the public URL, so it never imports plugin internals.
 */
export const forgejoInstallHookCommand: Command = {
  path: ['forgejo', 'install-hook'],
  summary: 'create the webhook of a Forgejo/Gitea repository, pointing at this Helios',
  help: `Usage: helios forgejo install-hook --repo OWNER/NAME [--url PUBLIC_URL] [--instance NAME] [--config FILE]

Creates (or updates, if one with the same URL exists) the repository webhook that delivers push,
pull_request and issue_comment events to PUBLIC_URL/hooks/NAME, active, with the instance's
webhookSecret. The instance's token needs admin rights on the repository.

Options:
      --repo OWNER/NAME   the repository
      --url URL           Helios's public URL (default: server.publicUrl of the config)
      --instance NAME     the forge plugin instance (default: the only one that can install hooks)
${CONFIG_HELP}`,
  options: { ...configOption, repo: { type: 'string' }, url: { type: 'string' }, instance: { type: 'string' } },
  async run(args, io) {
    const repo = args.values.repo as string | undefined;
    if (!repo) throw new HeliosError('E_USAGE', '--repo OWNER/NAME is required');
    const kernel = await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: new MemoryLogSink() });
    try {
      const publicUrl = (args.values.url as string | undefined) ?? kernel.config.server.publicUrl;
      if (!publicUrl) throw new HeliosError('E_USAGE', 'no public URL: pass --url https://ci.example.org or set server.publicUrl in helios.yaml');
      const forges = kernel.has(ForgeToken) ? kernel.resolveAll(ForgeToken) : [];
      const wanted = args.values.instance as string | undefined;
      const candidates = wanted ? forges.filter((f) => f.id === wanted) : forges.filter(isForgeAdmin);
      if (wanted && candidates.length === 0) throw new HeliosError('E_USAGE', `no forge instance "${wanted}" in ${kernel.loaded.file}; configured forges: ${forges.map((f) => f.id).join(', ') || 'none'}`);
      if (candidates.length !== 1) {
        throw new HeliosError('E_USAGE', candidates.length === 0 ? `no configured forge can install webhooks; add a @helios-ci/forge-forgejo instance to ${kernel.loaded.file}` : `several forges can install webhooks (${candidates.map((f) => f.id).join(', ')}); choose one with --instance`);
      }
      const forge = candidates[0]!;
      if (!isForgeAdmin(forge)) throw new HeliosError('E_USAGE', `forge instance "${forge.id}" cannot install webhooks (its plugin has no installHook)`);
      const hook = await forge.installHook({ repo, publicUrl });
      io.stdout.write(`${hook.created ? 'created' : 'updated'} webhook #${hook.id} on ${repo}: ${hook.url} (events: ${hook.events.join(', ')}; active)\n`);
      return 0;
    } finally {
      await kernel.stop('install-hook done');
    }
  },
};
