import { execFile } from 'node:child_process';
import { HeliosError } from '@helios-ci/sdk';

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** Runs git with an argv array (never a shell), in `cwd`, with a bounded output size. */
export function git(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; maxBuffer?: number; timeoutMs?: number }): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env },
        maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024,
        encoding: 'utf8',
        // A fetch from an unreachable server must not hang a request forever (0 = no limit).
        timeout: options.timeoutMs ?? 0,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            reject(new HeliosError('E_GIT_MISSING', 'git is not installed or not on PATH; install git (apt-get install git)', { cause: err }));
            return;
          }
          if (err.killed && options.timeoutMs) {
            reject(new HeliosError('E_GIT_TIMEOUT', `git ${args[0]} in ${options.cwd} took longer than ${options.timeoutMs} ms; check that the repository is reachable`, { cause: err, facts: { args } }));
            return;
          }
          reject(new HeliosError('E_GIT_FAILED', `git ${args[0]} failed in ${options.cwd}: ${stderr.trim() || err.message}`, { cause: err, facts: { args } }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** A ref name is safe for argv use and for git itself (no options, no traversal, no control chars). */
export function assertSafeRef(ref: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(ref) || ref.includes('..') || ref.endsWith('.lock') || ref.endsWith('/')) {
    throw new HeliosError('E_REF_INVALID', `ref ${JSON.stringify(ref)} is not a valid git ref name; use letters, digits and . _ / -`);
  }
}
