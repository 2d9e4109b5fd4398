/**
 * A `helios serve` deployment for end-to-end tests of runtime-bhyve: the illumos simulator host of
 * simWorld.ts, storage-zfs on its pool, the recording forge (its checks persisted under the data
 * dir), a git repository to push. Read-only views of the database, the forge's checks and /metrics.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as assert from 'uvu/assert';
import { readStoredJobLog } from '@helios-ci/core';
import { startHeliosServe, TestGitRepo, type HeliosServe } from '@helios-ci/sdk/testkit';
import type { BhyveConfig } from '../src/config.js';
import type { SimHost } from './simWorld.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface WorldOptions {
  /** Overrides of the runtime's config (e.g. a short bootTimeoutSeconds). */
  bhyve?: Partial<BhyveConfig>;
  /** Overrides of storage-zfs's config (e.g. busyRetries). */
  zfs?: Record<string, unknown>;
  /** Extra top-level YAML for `server:` (indented two spaces). */
  server?: string;
  /** Extra top-level YAML sections (e.g. `vmactions:`), each line unindented. */
  top?: string;
  /** Extra environment of `helios serve` (inherited by the simulator's commands and guests). */
  env?: Record<string, string>;
}

export interface ForgeCheck {
  id: string;
  jobId: string;
  name: string;
  status: string;
  result?: { conclusion: string; summary?: string };
}

export class World {
  readonly dir = mkdtempSync(join(tmpdir(), 'bhyve-e2e-'));
  readonly repo = new TestGitRepo();
  serve: HeliosServe | null = null;
  constructor(
    readonly h: SimHost,
    private readonly o: WorldOptions = {},
  ) {
    copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(this.dir, 'recordingForge.mjs'));
    // The forge stand-in is a third-party plugin: it finds the sdk in its own node_modules.
    mkdirSync(join(this.dir, 'node_modules/@helios-ci'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'sdk'), join(this.dir, 'node_modules/@helios-ci/sdk'), 'dir');
    const bhyve = { ...h.config, ...o.bhyve };
    writeFileSync(
      join(this.dir, 'helios.yaml'),
      `server:
  dataDir: ./data
  publicUrl: http://ci.test
${o.server ?? ''}plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  fake:
    use: ./recordingForge.mjs
    config: { repoDir: ${JSON.stringify(this.repo.dir)} }
  zfs:
    use: "@helios-ci/storage-zfs"
    config: ${JSON.stringify({ parent: h.pool.parent, zfsCommand: h.config.commands.zfs, images: { omnios: { snapshot: 'r151054' } }, ...o.zfs })}
  bhyve:
    use: "@helios-ci/runtime-bhyve"
    config: ${JSON.stringify(bhyve)}
limits: { concurrentJobs: 2, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 1, checkUpdateIntervalSeconds: 0.2 }
${o.top ?? ''}`,
    );
  }
  start(): HeliosServe {
    this.serve = startHeliosServe(this.dir, { env: { HELIOS_ILLUMOS_SIM_STATE: process.env.HELIOS_ILLUMOS_SIM_STATE!, PATH: process.env.PATH ?? '/usr/bin:/bin', ...this.o.env } });
    return this.serve;
  }
  async push(sha: string): Promise<Response> {
    const body = JSON.stringify({ repo: { owner: 'acme', name: 'widget' }, ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, sender: 'alice' });
    const signature = 'sha256=' + createHmac('sha256', 'fake-secret').update(body).digest('hex');
    return fetch(`${await this.serve!.url}/hooks/fake`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-fake-event': 'push', 'x-fake-delivery': randomUUID(), 'x-fake-signature': signature } });
  }
  private db<T>(fn: (db: Database.Database) => T): T {
    const path = join(this.dir, 'data/helios.db');
    if (!existsSync(path)) return [] as T;
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }
  jobs(): { id: string; name: string; state: string; reason: string | null }[] {
    return this.db((db) => db.prepare('SELECT id, name, state, reason FROM jobs ORDER BY created_at, rowid').all() as { id: string; name: string; state: string; reason: string | null }[]);
  }
  runs(): { id: string; plan_json: string }[] {
    return this.db((db) => db.prepare('SELECT * FROM runs ORDER BY created_at').all() as { id: string; plan_json: string }[]);
  }
  /** When the job started provisioning and finished (ms). */
  jobTimes(jobId: string): { provisioning_at: number; finished_at: number } {
    return this.db((db) => db.prepare('SELECT provisioning_at, finished_at FROM jobs WHERE id = ?').get(jobId) as { provisioning_at: number; finished_at: number });
  }
  /** The job's steps as the agent reported them. */
  steps(jobId: string): { idx: number; name: string; conclusion: string | null }[] {
    return this.db((db) => db.prepare('SELECT idx, name, conclusion FROM steps WHERE job_id = ? ORDER BY idx').all(jobId) as { idx: number; name: string; conclusion: string | null }[]);
  }
  log(jobId: string): { stream: string; text: string }[] {
    return this.db((db) => readStoredJobLog(db, jobId));
  }
  timings(jobId: string): { hello_at: number | null } | undefined {
    return this.db((db) => db.prepare('SELECT * FROM job_timings WHERE job_id = ?').get(jobId) as { hello_at: number | null } | undefined);
  }
  /** The recording forge's checks (persisted after every call, so readable while serve is down). */
  checks(): ForgeCheck[] {
    const file = join(this.dir, 'data/plugins/fake/checks.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { checks: ForgeCheck[] }).checks : [];
  }
  async metrics(): Promise<string> {
    return (await fetch(`${await this.serve!.url}/metrics`)).text();
  }
  async cleanup(): Promise<void> {
    await this.serve?.stop();
    this.repo.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Teardown runs after the job's final state is stored: poll (no sleep-and-hope) until it is done. */
export async function nothingLeft(h: SimHost, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let left = await h.leftovers();
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    left = await h.leftovers();
  }
  assert.equal(left, []);
}

export const final = (s: string) => ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'].includes(s);
