import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIO, OptionSpec, ParsedArgs } from '../command.js';
import type { KernelOptions } from '../../kernel/kernel.js';

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
