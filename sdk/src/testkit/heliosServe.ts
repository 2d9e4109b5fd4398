import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A real `helios serve` child process, for end-to-end tests of plugins. */
export interface HeliosServe {
  child: ChildProcess;
  /** Resolves with the base URL once the server listens; rejects if it exits or takes too long. */
  url: Promise<string>;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** SIGTERM and wait (SIGKILL after 20 s). */
  stop(): Promise<void>;
}

/** The `helios` CLI of the installed @helios-ci/core (an optional peer of the test kit). */
export function heliosCliPath(): string {
  const require = createRequire(import.meta.url);
  let pkgFile: string;
  try {
    pkgFile = require.resolve('@helios-ci/core/package.json');
  } catch (err) {
    throw new Error(`the sdk test kit needs @helios-ci/core to start helios serve; add it to your devDependencies: ${(err as Error).message}`);
  }
  const pkg = require(pkgFile) as { bin?: { helios?: string } };
  return join(dirname(pkgFile), pkg.bin?.helios ?? 'dist/src/cli/bin.js');
}

/**
 * Starts `helios serve` in `cwd` on a free loopback port, with exactly the environment given (plus
 * PATH and HOME=cwd), so a test controls what the server can see.
 */
export function startHeliosServe(cwd: string, options: { env?: Record<string, string>; args?: string[]; startTimeoutMs?: number } = {}): HeliosServe {
  const child = spawn(process.execPath, [heliosCliPath(), 'serve', '--listen', '127.0.0.1:0', ...(options.args ?? [])], {
    cwd,
    env: { PATH: process.env.PATH, HOME: cwd, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`helios serve did not start:\n${out}`)), options.startTimeoutMs ?? 60_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`helios serve exited:\n${out}`));
    });
  });
  url.catch(() => undefined);
  return {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `check` every 100 ms until it returns a value (not undefined/false/null) or the time is up. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false && value !== null) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
