import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';
import type { CliIO, Command, ParsedArgs } from '../command.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';

const STORAGE_ZFS = '@helios-ci/storage-zfs';
const HOST_OPTIONS = { ...configOption, parent: { type: 'string' }, zfs: { type: 'string' }, json: { type: 'boolean' } } as const;
const HOST_HELP = `${CONFIG_HELP}
      --parent DATASET  the storage-zfs parent (default: "parent" of the storage-zfs plugin in the config)
      --zfs CMD         the zfs executable (default: its "zfsCommand", else zfs)`;

/** The storage-zfs parent and zfs command: flags, else the config's storage-zfs entry (read, not loaded). */
async function imageHost(args: ParsedArgs, io: CliIO): Promise<{ zfs: string; parent: string }> {
  let parent = args.values.parent as string | undefined;
  let zfs = args.values.zfs as string | undefined;
  if (!parent || !zfs) {
    const { loadConfigFile } = await import('../../kernel/config/loadConfig.js');
    const options = kernelOptionsFrom(args, io);
    const loaded = loadConfigFile(options.configPath, io.cwd);
    const entry = Object.values(loaded.config.plugins).find((p) => p.use === STORAGE_ZFS && p.enabled !== false);
    const config = (entry?.config ?? {}) as { parent?: unknown; zfsCommand?: unknown };
    parent ??= typeof config.parent === 'string' ? config.parent : undefined;
    zfs ??= typeof config.zfsCommand === 'string' ? config.zfsCommand : undefined;
    if (!parent) throw new HeliosError('E_IMAGE_NO_STORAGE', `${loaded.file} has no ${STORAGE_ZFS} plugin with a parent; configure one (plugins: { zfs: { use: "${STORAGE_ZFS}", config: { parent: rpool/ci } } }) or pass --parent`);
  }
  return { zfs: zfs ?? 'zfs', parent };
}

/** The agent bundle installed beside Helios (@helios-ci/agent, a dependency of runtime-local). */
function findAgentBundle(): string {
  const require = createRequire(import.meta.url);
  for (const from of [import.meta.url, '@helios-ci/runtime-local']) {
    try {
      return from === import.meta.url ? require.resolve('@helios-ci/agent/bundle') : createRequire(require.resolve(from)).resolve('@helios-ci/agent/bundle');
    } catch {
      // next place
    }
  }
  throw new HeliosError('E_IMAGE_INVALID', 'the agent bundle (@helios-ci/agent) is not installed beside Helios; npm install @helios-ci/agent, or pass --agent FILE');
}

export const imageBuildCommand: Command = {
  path: ['image', 'build'],
  summary: 'build a golden image: copy a guest tree (or receive a dataset), add the agent, snapshot it as a new version',
  help: `Usage: helios image build --from DIR|DATASET --label NAME [--node PATH] [--agent-path PATH] [--config FILE]

Builds <parent>/images/NAME and snapshots it as @v<YYYYMMDDhhmmss>; NAME then means that snapshot
(storage-zfs clones a label's newest snapshot). From a directory tree: the tree replaces the
dataset's contents, the agent bundle (@helios-ci/agent) is installed at --agent-path (default
/opt/helios/helios-agent.mjs), and the tree must hold cloud-init and node ≥ 20 at --node (default
/usr/bin/node; E_IMAGE_INVALID otherwise). From a dataset (a zvol with a cloud image that already
has cloud-init, node and the agent): its snapshot is received as the image, once (E_IMAGE_EXISTS).

Options:
      --from SRC        a directory tree or a dataset
      --label NAME      the image name (runtime-bhyve images.<label>.dataset: <parent>/images/NAME)
      --node PATH       node in the guest (runtime-bhyve guest.node)
      --agent-path PATH the agent bundle in the guest (runtime-bhyve guest.agent)
      --agent FILE      the bundle to install (default: @helios-ci/agent's dist/helios-agent.mjs)
${HOST_HELP}`,
  options: { ...HOST_OPTIONS, from: { type: 'string' }, label: { type: 'string' }, node: { type: 'string' }, 'agent-path': { type: 'string' }, agent: { type: 'string' } },
  async run(args, io) {
    const from = args.values.from as string | undefined;
    const label = args.values.label as string | undefined;
    if (!from || !label) throw new HeliosError('E_USAGE', 'helios image build needs --from DIR|DATASET and --label NAME');
    const host = await imageHost(args, io);
    const { buildImage } = await import('../../image/images.js');
    const agentBundle = (args.values.agent as string | undefined) ? resolve(io.cwd, args.values.agent as string) : findAgentBundle();
    const source = from.startsWith('.') || from.startsWith('/') ? resolve(io.cwd, from) : from;
    const built = await buildImage(host, {
      from: source,
      label,
      agentBundle,
      ...(args.values.node ? { nodePath: args.values.node as string } : {}),
      ...(args.values['agent-path'] ? { agentPath: args.values['agent-path'] as string } : {}),
    });
    if (args.values.json) io.stdout.write(JSON.stringify(built, null, 2) + '\n');
    else io.stdout.write(`helios image build: ${built.snapshot}${built.guest ? ` (cloud-init ${built.guest.cloudInit}, node ${built.guest.nodeMajor ?? 'version unknown'} at ${built.guest.node}, agent installed)` : ''}\n`);
    return 0;
  },
};

export const imageListCommand: Command = {
  path: ['image', 'list'],
  summary: 'list golden images: versions, which one each label means, clones (jobs) on each',
  help: `Usage: helios image list [--json] [--config FILE]

Options:
${HOST_HELP}
      --json            one JSON array`,
  options: { ...HOST_OPTIONS },
  async run(args, io) {
    const host = await imageHost(args, io);
    const { listImages } = await import('../../image/images.js');
    const images = await listImages(host);
    if (args.values.json) {
      io.stdout.write(JSON.stringify(images, null, 2) + '\n');
      return 0;
    }
    for (const image of images) {
      io.stdout.write(`${image.label}  ${image.dataset}\n`);
      for (const s of [...image.snapshots].reverse()) {
        io.stdout.write(`  ${s.current ? '*' : ' '} ${s.version}  ${s.clones.length} clone${s.clones.length === 1 ? '' : 's'}\n`);
      }
    }
    if (images.length === 0) io.stdout.write(`no images under ${host.parent}/images\n`);
    return 0;
  },
};

export const imagePruneCommand: Command = {
  path: ['image', 'prune'],
  summary: 'remove old image versions; one with clones (running jobs) is kept until they end',
  help: `Usage: helios image prune [--keep N] [--label NAME] [--dry-run] [--config FILE]

Each label keeps its newest N versions (default 1: the one it means). An older version that jobs
still run on (it has clones) is kept and listed; run prune again after they end.

Options:
      --keep N          versions to keep per label (≥ 1)
      --label NAME      only this image
      --dry-run         say what would be removed
${HOST_HELP}`,
  options: { ...HOST_OPTIONS, keep: { type: 'string' }, label: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(args, io) {
    const keep = args.values.keep === undefined ? 1 : Number(args.values.keep);
    if (!Number.isInteger(keep) || keep < 1) throw new HeliosError('E_USAGE', `--keep must be a whole number ≥ 1 (got ${String(args.values.keep)})`);
    const host = await imageHost(args, io);
    const { pruneImages } = await import('../../image/images.js');
    const decisions = await pruneImages(host, { keep, dryRun: args.values['dry-run'] === true, ...(args.values.label ? { label: args.values.label as string } : {}) });
    if (args.values.json) io.stdout.write(JSON.stringify(decisions, null, 2) + '\n');
    else for (const d of decisions) io.stdout.write(`${d.action} ${d.snapshot}: ${d.reason}\n`);
    return 0;
  },
};
