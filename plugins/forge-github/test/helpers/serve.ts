import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentConfig, startHeliosServe, waitFor, type HeliosServe } from '@helios-ci/sdk/testkit';
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

export type ServeProcess = HeliosServe;

/** The real `helios serve` on a free port, with the webhook secret in its environment. */
export function startServe(d: Deployment): ServeProcess {
  return startHeliosServe(d.dir, { env: { GH_HOOK_SECRET: d.webhookSecret }, startTimeoutMs: 30_000 });
}

export { waitFor };
