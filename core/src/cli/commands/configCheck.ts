import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { CONFIG_HELP, configOption, kernelOptionsFrom } from './configOption.js';
import { configInvalid } from '../../kernel/config/problems.js';
import { workerConfigProblems } from './workerConfig.js';

export const configCheckCommand: Command = {
  path: ['config', 'check'],
  summary: 'load helios.yaml and its plugins without starting anything; report every problem',
  help: `Usage: helios config check [--config FILE]

Loads the config, imports and checks every plugin, validates every plugin's config, resolves
{ secret | env | file } references and builds every plugin value — everything "serve" does short
of starting. Prints every problem with its file position (structure and plugin configs in one
pass); exit 1 if there are any. A file with a worker: section is checked as a \`helios worker\`
config too (a queue plugin reaching control, no forge). A kind no plugin provides (runtime, secrets) is filled with its
embedded default and reported as a warning (exit 0).

Options:
${CONFIG_HELP}`,
  options: { ...configOption },
  async run(args, io) {
    const logs = new MemoryLogSink();
    const kernel = await Kernel.create({ ...kernelOptionsFrom(args, io), logSink: logs });
    // A worker config (worker: section) also needs what `helios worker` needs.
    const workerProblems = workerConfigProblems(kernel, false);
    if (workerProblems.length) throw configInvalid(kernel.loaded.file, workerProblems);
    const names = kernel.plugins().filter((p) => p.enabled).map((p) => p.instance);
    // A kind nobody configured is not an error (the defaults run), but the operator should know.
    for (const filled of kernel.filledDefaults) io.stderr.write(`warning: ${kernel.loaded.file}: ${filled.message}\n`);
    io.stdout.write(`${kernel.loaded.file}: ok (${names.length} plugin${names.length === 1 ? '' : 's'}: ${names.join(', ')})\n`);
    return 0;
  },
};
