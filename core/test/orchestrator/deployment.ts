import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentConfig } from '@helios-ci/sdk/testkit';
import Database from 'better-sqlite3';
import { readStoredJobLog } from '../../src/store/index.js';
import { REPO_ROOT, TempProject } from '../helpers/tempProject.js';
import type { GitRepo } from '../helpers/gitRepo.js';

export interface RecordedCheck {
  id: string;
  jobId: string;
  name: string;
  status: string;
  updates: { status: string; title: string; summary: string; text?: string }[];
  annotations: unknown[];
  result: { conclusion: string; title: string; text?: string } | null;
}

/**
 * A Helios deployment for end-to-end tests: helios.yaml with the file secrets backend, the local
 * runtime and the recording forge (serving `repo`), all state under one temp directory.
 */
export class Deployment extends TempProject {
  constructor(
    readonly repo: GitRepo,
    options: { outageCalls?: number; limits?: Record<string, number>; permissions?: Record<string, string>; sandbox?: 'off' } = {},
  ) {
    super();
    copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(this.dir, 'recordingForge.mjs'));
    const limits = { concurrentJobs: 4, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 1, checkUpdateIntervalSeconds: 0.2, ...options.limits };
    this.write(
      'helios.yaml',
      deploymentConfig(
        `  fake:
    use: ./recordingForge.mjs
    config: { repoDir: ${JSON.stringify(repo.dir)}, outageCalls: ${options.outageCalls ?? 0}, permissions: ${JSON.stringify(options.permissions ?? {})} }
`,
        limits,
        options.sandbox ? { sandbox: options.sandbox } : {},
      ),
    );
  }

  /** A signed push delivery for the recording forge's webhook route. */
  async push(url: string, sha: string, ref = 'refs/heads/main', deliveryId: string = randomUUID()): Promise<Response> {
    const body = JSON.stringify({ repo: { owner: 'acme', name: 'widget' }, ref, before: '0'.repeat(40), after: sha, sender: 'alice' });
    const signature = 'sha256=' + createHmac('sha256', 'fake-secret').update(body).digest('hex');
    return fetch(`${url}/hooks/fake`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-fake-event': 'push', 'x-fake-delivery': deliveryId, 'x-fake-signature': signature },
    });
  }

  /** A signed delivery of any normalised ForgeEvent (kind, repo, ...), as the recording forge accepts. */
  async event(url: string, event: Record<string, unknown>, deliveryId: string = randomUUID()): Promise<Response> {
    const body = JSON.stringify(event);
    const signature = 'sha256=' + createHmac('sha256', 'fake-secret').update(body).digest('hex');
    return fetch(`${url}/hooks/fake`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-fake-event': 'event', 'x-fake-delivery': deliveryId, 'x-fake-signature': signature },
    });
  }

  /** Reads the store of a running (or killed) serve, read-only. */
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

  jobs(): { id: string; name: string; state: string; reason: string | null; run_id: string }[] {
    return this.query('SELECT id, name, state, reason, run_id FROM jobs ORDER BY created_at, rowid');
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

  forge(): { checks: RecordedCheck[]; calls: { method: string; outcome: string; at: number }[] } {
    const file = join(this.dir, 'data/plugins/fake/checks.json');
    return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { checks: [], calls: [] };
  }
}
