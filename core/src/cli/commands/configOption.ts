import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIO, OptionSpec, ParsedArgs } from '../command.js';
import type { KernelOptions } from '../../kernel/kernel.js';
import { loadConfigFile } from '../../kernel/config/loadConfig.js';
import { configInvalid } from '../../kernel/config/problems.js';
import type { ActionsConfig } from '../../actions-source/actionsConfig.js';

export const configOption: OptionSpec = { config: { type: 'string', short: 'c' } };
export const CONFIG_HELP = `  -c, --config FILE   helios.yaml to use (default: ./helios.yaml if present,
                      else $HELIOS_CONFIG, else the embedded defaults)`;

/** Which config a command uses: --config, ./helios.yaml, $HELIOS_CONFIG, or the embedded defaults. */
export function kernelOptionsFrom(args: ParsedArgs, io: CliIO): KernelOptions {
  const explicit = args.values.config as string | undefined;
  const local = join(io.cwd, 'helios.yaml');
  const configPath = explicit ?? (existsSync(local) ? 'helios.yaml' : io.env.HELIOS_CONFIG);
  return { configPath, cwd: io.cwd, env: io.env };
}

/**
 * helios.yaml `actions:` as `validate` and `plan` use it (the same lookup as every command), read
 * without loading plugins. Problems elsewhere in the file are `helios config check`'s to report.
 */
export function actionsConfigFrom(args: ParsedArgs, io: CliIO): { actions: ActionsConfig; file: string } {
  const { configPath, cwd } = kernelOptionsFrom(args, io);
  const loaded = loadConfigFile(configPath, cwd);
  const problems = loaded.problems.filter((p) => p.path === 'actions' || p.path.startsWith('actions.'));
  if (problems.length) throw configInvalid(loaded.file, problems);
  return { actions: loaded.config.actions, file: loaded.embedded ? 'the embedded defaults' : loaded.file };
}
