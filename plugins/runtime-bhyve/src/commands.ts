/**
 * How the runtime runs host commands: argv arrays only (execFile, no shell). Tests pass a runner that
 * records argv and answers as the real commands do.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (argv: readonly string[], options?: { timeoutMs?: number }) => Promise<CommandResult>;

export const execRunner: CommandRunner = (argv, options) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024, timeout: options?.timeoutMs ?? 0 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 127) : 0;
      resolve({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
  });
