import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentConfig } from '@helios-ci/sdk/testkit';
import Database from 'better-sqlite3';
import type { GitHubStandIn } from '../standIn/server.js';

/** The repository root (tests run from plugins/forge-github/dist/test/...). */
export const REPO_ROOT = join(new URL('.', import.meta.url).pathname, '../../../../..');
export const CLI = join(REPO_ROOT, 'core/dist/src/cli/bin.js');

/**
 * A Helios deployment for end-to-end tests: helios.yaml with file secrets, the local runtime and
 * this plugin pointed at the GitHub stand-in; the App key in a file, the webhook secret in the env.
 */
export class Deployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-gh-e2e-'));

  constructor(standIn: GitHubStandIn, readonly webhookSecret: string, limits: Record<string, number> = {}) {
    writeFileSync(join(this.dir, 'app-key.pem'), standIn.privateKeyPem, { mode: 0o600 });
    const all = { concurrentJobs: 8, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 30, checkUpdateIntervalSeconds: 0.5, ...limits };
    writeFileSync(
      join(this.dir, 'helios.yaml'),
      deploymentConfig(
        `  github:
    use: "@helios-ci/forge-github"
    config:
      appId: ${standIn.appId}
      privateKey: { file: ./app-key.pem }
      webhookSecret: { env: GH_HOOK_SECRET }
      baseUrl: ${standIn.apiUrl}
`,
        all,
      ),
    );
  }

  query<T>(sql: string, ...params: unknown[]): T[] {
    const path = join(this.dir, 'data/helios.db');
    if (!existsSync(path)) return [];
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }

  jobs(): { id: string; name: string; state: string; run_id: string }[] {
    return this.query('SELECT id, name, state, run_id FROM jobs ORDER BY created_at, rowid');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ServeProcess {
  child: ChildProcess;
  url: Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** The real `helios serve` on a free port. */
export function startServe(d: Deployment): ServeProcess {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0'], {
    cwd: d.dir,
    env: { PATH: process.env.PATH, HOME: d.dir, GH_HOOK_SECRET: d.webhookSecret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
    void exited.then(() => (clearTimeout(timer), reject(new Error(`serve exited:\n${out}`))));
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

export async function waitFor<T>(what: string, check: () => T | undefined | false | null, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false && value !== null) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
