import { resolve } from 'node:path';
import type { CliIO, ParsedArgs } from '../command.js';
import { configInvalid } from '../../kernel/config/problems.js';
import { kernelOptionsFrom } from './configOption.js';

/** server.dataDir of the config a command uses, without loading any plugin. */
export async function dataDirOf(args: ParsedArgs, io: CliIO): Promise<string> {
  const { loadConfigFile } = await import('../../kernel/config/loadConfig.js');
  const options = kernelOptionsFrom(args, io);
  const loaded = loadConfigFile(options.configPath, io.cwd);
  const problems = loaded.problems.filter((p) => p.path.startsWith('server'));
  if (problems.length) throw configInvalid(loaded.file, problems);
  return resolve(loaded.configDir, loaded.config.server.dataDir);
}
