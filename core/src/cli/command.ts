import type { ParseArgsConfig } from 'node:util';

export interface CliIO {
  stdout: { write(text: string): void; isTTY?: boolean };
  stderr: { write(text: string): void; isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * Resolves when the user asks the process to stop (SIGINT/SIGTERM). Only long-running commands
   * call it; calling it is what takes the signals over from Node's default (exit at once).
   */
  waitForStop(): Promise<string>;
  /** Resolves at the next SIGHUP (re-read the config); absent where nothing can send one. */
  waitForReload?(): Promise<void>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** One `helios` sub-command; each lives in its own file under commands/. */
export interface Command {
  /** Words after `helios`, e.g. ['plugins', 'list']. */
  path: string[];
  summary: string;
  /** Shown by --help: usage line(s) and option descriptions. */
  help: string;
  options: OptionSpec;
  allowPositionals?: boolean;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}
