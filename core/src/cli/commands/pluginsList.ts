import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';

export const pluginsListCommand: Command = {
  path: ['plugins', 'list'],
  summary: 'list the configured plugin instances: package, version, kinds, config (secrets redacted)',
  help: `Usage: helios plugins list [--config FILE] [--json]

An instance marked "(default)" is an embedded default the kernel filled in because no configured
plugin provides its kind (runtime, secrets); --json marks it "default": true.

Options:
${CONFIG_HELP}
      --json          one JSON array on stdout`,
  options: { ...configOption, json: { type: 'boolean' } },
  async run(args, io) {
    const kernel = await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: new MemoryLogSink() });
    const plugins = kernel.plugins();
    if (args.values.json) {
      io.stdout.write(JSON.stringify(plugins, null, 2) + '\n');
      return 0;
    }
    io.stdout.write(`config: ${kernel.loaded.file}\n`);
    // Instances the kernel filled in (nobody configured their kind) are marked, not hidden.
    const rows = plugins.map((p) => [p.default ? `${p.instance} (default)` : p.instance, `${p.package}@${p.version}`, p.enabled ? p.kinds.join(',') || '-' : 'disabled', JSON.stringify(p.config)]);
    const header = ['INSTANCE', 'PACKAGE', 'KINDS', 'CONFIG'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) {
      io.stdout.write(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ') + '\n');
    }
    return 0;
  },
};
