// A real `helios serve` child process with file secrets, the local runtime and this plugin (as an
// installed package) pointed at a Forgejo stand-in; the store is read with better-sqlite3, read-only.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploymentConfig } from '@helios-ci/sdk/testkit';
import Database from 'better-sqlite3';
import { readStoredJobLog } from '@helios-ci/core';
import { CLI } from './cli.js';
import { FIXTURE_SECRET, fixturePayload, signedDelivery } from './fixtures.js';
import { TOKEN } from './standInRepo.js';

export const DEPLOY_SECRET = 's3cr3t-deploy-value';
/** A read:repository token the stand-in accepts for reads and clones only (forge config `cloneToken`). */
export const READ_TOKEN = 'read-only-token-9876543210';

export interface DeploymentOptions {
  /** The `codeberg` forge's requestTimeoutSeconds (default 2). */
  requestTimeoutSeconds?: number;
  /** Configure `cloneToken: READ_TOKEN` on the `codeberg` forge. */
  cloneToken?: boolean;
  /** A second forge instance, `second`, pointed at this stand-in (same token and webhook secret). */
  secondForgeUrl?: string;
  /** Top-level helios.yaml sections appended as written (e.g. `actions:`). */
  extraYaml?: string;
}

export class Deployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-forgejo-e2e-'));
  private child: ChildProcess | null = null;
  private out = '';
  url = '';

  constructor(standInUrl: string, o: DeploymentOptions = {}) {
    const second = o.secondForgeUrl
      ? `  second:
    use: "@helios-ci/forge-forgejo"
    config:
      baseUrl: ${o.secondForgeUrl}
      token: { secret: forgejo/token }
      webhookSecret: { secret: forgejo/webhook }
      requestTimeoutSeconds: 2
`
      : '';
    writeFileSync(
      join(this.dir, 'helios.yaml'),
      deploymentConfig(
        `  codeberg:
    use: "@helios-ci/forge-forgejo"
    config:
      baseUrl: ${standInUrl}
      token: { secret: forgejo/token }
${o.cloneToken ? '      cloneToken: { secret: forgejo/clone }\n' : ''}      webhookSecret: { secret: forgejo/webhook }
      requestTimeoutSeconds: ${o.requestTimeoutSeconds ?? 2}
${second}`,
        { concurrentJobs: 4, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 3, checkUpdateIntervalSeconds: 0.2 },
      ) + (o.extraYaml ?? ''),
    );
  }

  /** Starts `helios serve` on a free loopback port; resolves once it listens. */
  async start(): Promise<string> {
    const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0'], {
      cwd: this.dir,
      env: { PATH: process.env.PATH, HOME: this.dir, HELIOS_CONFIG_SECRET_FORGEJO_TOKEN: TOKEN, HELIOS_CONFIG_SECRET_FORGEJO_WEBHOOK: FIXTURE_SECRET, HELIOS_CONFIG_SECRET_FORGEJO_CLONE: READ_TOKEN, HELIOS_SECRET_DEPLOY_KEY: DEPLOY_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // A restart (same data dir) appends to the output; only this start's "listening" line counts.
    const from = this.out.length;
    child.stdout!.on('data', (d) => (this.out += d));
    child.stderr!.on('data', (d) => (this.out += d));
    this.url = await waitFor('helios serve to listen', () => /listening on (http:\/\/\S+)/.exec(this.out.slice(from))?.[1] ?? (child.exitCode !== null ? Promise.reject(new Error(`serve exited:\n${this.out}`)) : undefined), 30_000);
    return this.url;
  }

  /** Everything serve printed (stdout and stderr). */
  output(): string {
    return this.out;
  }

  /** SIGTERM, then SIGKILL after 20 s; by pid, only our own child. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  /** POSTs a delivery to /hooks/<forge> (default codeberg). */
  deliver(d: { headers: Record<string, string>; rawBody: Buffer }, forge = 'codeberg'): Promise<Response> {
    return fetch(`${this.url}/hooks/${forge}`, { method: 'POST', headers: d.headers, body: new Uint8Array(d.rawBody) });
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

  jobs(): { id: string; name: string; state: string; reason: string | null; run_id: string; finished_at: number | null }[] {
    return this.query('SELECT id, name, state, reason, run_id, finished_at FROM jobs ORDER BY created_at, rowid');
  }

  log(jobId: string): string[] {
    // Through the store's reader: a finished job's log is compacted out of log_lines.
    const path = join(this.dir, 'data/helios.db');
    if (!existsSync(path)) return [];
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return readStoredJobLog(db, jobId).map((l) => l.text);
    } finally {
      db.close();
    }
  }

  inbox(): { forge: string; delivery_id: string; kind: string; status: string; error: string | null }[] {
    return this.query('SELECT forge, delivery_id, kind, status, error FROM inbox ORDER BY id');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Forgejo's push payload (the fixture's shape) for a commit of the stand-in's repository. */
export function pushPayload(sha: string, files: string[], ref = 'refs/heads/main'): Record<string, unknown> {
  const p = fixturePayload('push.json');
  const commit = { ...p.commits[1], id: sha, added: files, modified: [], removed: [] };
  return { ...p, ref, before: '0'.repeat(40), after: sha, commits: [commit], total_commits: 1, head_commit: commit };
}

/** Forgejo's pull request payload from the fork `bob/widget` (the synchronized fixture's shape). */
export function forkPullRequestPayload(number: number, headSha: string, action = 'opened'): Record<string, unknown> {
  const p = fixturePayload('pull_request_synchronized.json');
  return { ...p, action, number, pull_request: { ...p.pull_request, number, head: { ...p.pull_request.head, sha: headSha } } };
}

export const deliveryOf = (event: string, payload: unknown, o: Parameters<typeof signedDelivery>[2] = {}) => signedDelivery(event, payload, o);

/** Polls until `check` gives a value (not undefined/false) or the time is up. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
