import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from plugins/forge-forgejo/dist/test/helpers). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const CLI = join(REPO_ROOT, 'core/dist/src/cli/bin.js');

/** Runs `helios ...` as a child process, asynchronously (a stand-in may be serving from this process). */
export function helios(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
