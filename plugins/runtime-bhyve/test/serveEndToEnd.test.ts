// End to end: `helios serve` with runtime-bhyve on the illumos simulator, storage-zfs on zfs-fuse
// (through the simulator's zvol-emulating zfs) and a recording forge. A push runs a two-job
// workflow, each job in its own zone; the console reaches the job log; nothing is left afterwards;
// a boot fault errors the job with its reason; an unknown runs-on label is a plan problem naming the
// labels that exist. (kill -9 mid-job + restart is covered at the runtime level in simRuntime.test.ts;
// through serve it is not yet passing: see the README's Limits.)
import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readStoredJobLog } from '@helios-ci/core';
import { startHeliosServe, TestGitRepo, waitFor, type HeliosServe } from '@helios-ci/sdk/testkit';
import { LABEL, requireComponent, simMissing, withSimHost, type SimHost } from './simWorld.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const missing = simMissing();
const t = requireComponent(test, missing);

class World {
  readonly dir = mkdtempSync(join(tmpdir(), 'bhyve-e2e-'));
  readonly repo = new TestGitRepo();
  serve: HeliosServe | null = null;
  constructor(readonly h: SimHost) {
    copyFileSync(join(REPO_ROOT, 'core/test/fixtures/plugins/recordingForge.mjs'), join(this.dir, 'recordingForge.mjs'));
    // The forge stand-in is a third-party plugin: it finds the sdk in its own node_modules.
    mkdirSync(join(this.dir, 'node_modules/@helios-ci'), { recursive: true });
    symlinkSync(join(REPO_ROOT, 'sdk'), join(this.dir, 'node_modules/@helios-ci/sdk'), 'dir');
    const bhyve = { ...h.config, zonepathRoot: h.config.zonepathRoot };
    writeFileSync(
      join(this.dir, 'helios.yaml'),
      `server:
  dataDir: ./data
  publicUrl: http://ci.test
plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  fake:
    use: ./recordingForge.mjs
    config: { repoDir: ${JSON.stringify(this.repo.dir)} }
  zfs:
    use: "@helios-ci/storage-zfs"
    config: ${JSON.stringify({ parent: h.pool.parent, zfsCommand: h.config.commands.zfs, images: { omnios: { snapshot: 'r151054' } } })}
  bhyve:
    use: "@helios-ci/runtime-bhyve"
    config: ${JSON.stringify(bhyve)}
limits: { concurrentJobs: 2, shutdownGraceSeconds: 1, forgeCallTimeoutSeconds: 1, checkUpdateIntervalSeconds: 0.2 }
`,
    );
  }
  start(): HeliosServe {
    this.serve = startHeliosServe(this.dir, { env: { HELIOS_ILLUMOS_SIM_STATE: process.env.HELIOS_ILLUMOS_SIM_STATE!, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
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
  log(jobId: string): { stream: string; text: string }[] {
    return this.db((db) => readStoredJobLog(db, jobId));
  }
  timings(jobId: string): { hello_at: number | null } | undefined {
    return this.db((db) => db.prepare('SELECT * FROM job_timings WHERE job_id = ?').get(jobId) as { hello_at: number | null } | undefined);
  }
  async cleanup(): Promise<void> {
    await this.serve?.stop();
    this.repo.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Teardown runs after the job's final state is stored: poll (no sleep-and-hope) until it is done. */
async function nothingLeft(h: SimHost, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let left = await h.leftovers();
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    left = await h.leftovers();
  }
  assert.equal(left, []);
}

const final = (s: string) => ['succeeded', 'failed', 'cancelled', 'timed_out', 'errored', 'skipped'].includes(s);

t('a push runs a two-job workflow, each job in its own zone; console lines in the job log; nothing left', () =>
  withSimHost(async (h) => {
    const w = new World(h);
    try {
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo job-a-ran\n  b:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo job-b-ran\n`);
      const sha = w.repo.commit();
      w.start();
      assert.is((await w.push(sha)).status, 202);
      const jobs = await waitFor('both jobs to finish', () => {
        const js = w.jobs();
        return js.length === 2 && js.every((j) => final(j.state)) && js;
      }, 240_000);
      for (const j of jobs) {
        const log = w.log(j.id);
        assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}\n${log.map((l) => l.text).join('\n')}`);
        assert.ok(log.some((l) => l.text.includes(`job-${j.name}-ran`)));
        const consoleText = log.filter((l) => l.stream === 'console').map((l) => l.text).join('\n');
        assert.match(consoleText, `zone hsim-${j.id}`, 'the console is of the job\'s own zone');
        assert.ok(w.timings(j.id)?.hello_at, 't3 recorded');
      }
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

t('a boot fault errors the job with the reason (zone.log in the log) and leaves nothing; an unknown label is a plan problem naming the labels', () =>
  withSimHost(async (h) => {
    const w = new World(h);
    try {
      await h.sim('control', 'fault', 'add', 'boot-fail', '--count', '1');
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  a:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo never\n`);
      w.repo.write('.github/workflows/other.yml', `on: push\njobs:\n  x:\n    runs-on: ubuntu-nope\n    steps:\n      - run: echo never\n`);
      const sha = w.repo.commit();
      w.start();
      assert.is((await w.push(sha)).status, 202);
      const job = await waitFor('the job to end', () => w.jobs().find((j) => j.name === 'a' && final(j.state)), 120_000);
      assert.is(job.state, 'errored');
      assert.match(job.reason ?? '', 'E_BHYVE_BOOT_FAILED');
      assert.match(w.log(job.id).map((l) => l.text).join('\n'), 'failed to allocate guest memory');
      const problems = w.runs().map((r) => r.plan_json).join('\n');
      assert.match(problems, 'ubuntu-nope');
      assert.match(problems, LABEL);
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

test.run();
