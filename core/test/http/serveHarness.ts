import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/tempProject.js';

/**
 * A real `helios serve` with secrets-file and runtime-local, its data dir and runtime work root in a
 * temp directory. `stop()` signals the process by pid and waits; always call it in a finally block.
 */
export class ServeHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-serve-api-'));
  private child: ChildProcess | null = null;
  private out = '';
  private err = '';
  url = '';
  token = '';

  /** `extraYaml` is appended to the file (plugin entries, or top-level keys); `serverYaml` goes under `server:`. */
  constructor(
    private readonly extraYaml = '',
    private readonly serverYaml = '',
  ) {}

  async start(env: NodeJS.ProcessEnv = {}): Promise<this> {
    writeFileSync(
      join(this.dir, 'helios.yaml'),
      `server:\n  dataDir: ./data\n${this.serverYaml}plugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n    config:\n      workRoot: ./work\n${this.extraYaml}`,
    );
    const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', '--config', join(this.dir, 'helios.yaml')], {
      cwd: this.dir,
      env: { PATH: process.env.PATH, HOME: this.dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d) => (this.out += d));
    child.stderr!.on('data', (d) => (this.err += d));
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${this.out}\n${this.err}`)), 30_000);
      const onData = () => {
        const m = /listening on (http:\/\/\S+)/.exec(this.out);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited ${code}:\n${this.err}`));
      });
    });
    this.token = env.HELIOS_ADMIN_TOKEN ?? readFileSync(join(this.dir, 'data/admin-token'), 'utf8').trim();
    return this;
  }

  get pid(): number {
    return this.child!.pid!;
  }

  output(): { stdout: string; stderr: string } {
    return { stdout: this.out, stderr: this.err };
  }

  /** JSON request; `auth` sends the admin token. */
  async api(method: string, path: string, options: { body?: unknown; auth?: boolean | string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth) headers.authorization = `Bearer ${options.auth === true ? this.token : options.auth}`;
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(this.url + path, { method, headers, ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (pages, metrics): the text itself.
    }
    return { status: res.status, body, headers: res.headers };
  }

  async stop(): Promise<number | null> {
    const child = this.child;
    this.child = null;
    try {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        process.kill(child.pid!, 'SIGTERM');
        const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, 'SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child?.exitCode ?? null;
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Polls until `check` returns something other than undefined/false. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
