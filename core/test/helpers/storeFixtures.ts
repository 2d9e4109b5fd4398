import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLAN_VERSION, type JobPlan, type RunPlan, type Step } from '@helios-ci/sdk';
import { Store, type StoreOptions } from '../../src/store/store.js';
import type { ManualClock } from '../../src/clock/manualClock.js';

/** A temp directory with a store file path in it; `cleanup()` removes it. */
export function tempDir(): { dir: string; dbPath: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'helios-store-'));
  return { dir, dbPath: join(dir, 'helios.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openTempStore(options: Omit<StoreOptions, 'path'> = {}): { store: Store; dbPath: string; reopen(): Store; cleanup(): void } {
  const t = tempDir();
  const state = { store: Store.open({ ...options, path: t.dbPath }) };
  return {
    get store() {
      return state.store;
    },
    dbPath: t.dbPath,
    reopen() {
      state.store.close();
      state.store = Store.open({ ...options, path: t.dbPath });
      return state.store;
    },
    cleanup() {
      state.store.close();
      t.cleanup();
    },
  };
}

export function runStep(name: string): Step {
  return { id: name.toLowerCase().replace(/\W+/g, '_'), name, if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'true', shell: null, workingDirectory: null };
}

export function jobPlan(key: string, stepNames: string[] = ['Build', 'Test']): JobPlan {
  return {
    id: `.github/workflows/ci.yml#${key}`,
    workflow: { file: '.github/workflows/ci.yml', name: 'CI' },
    jobKey: key,
    name: key,
    matrix: null,
    needs: [],
    if: null,
    runsOn: ['ubuntu-24.04'],
    env: {},
    defaults: { shell: null, workingDirectory: null },
    timeoutMinutes: 360,
    continueOnError: false,
    concurrency: null,
    strategy: { failFast: true, maxParallel: null },
    outputs: {},
    secretNames: [],
    steps: stepNames.map(runStep),
  };
}

export function runPlan(jobs: JobPlan[]): RunPlan {
  return { version: PLAN_VERSION, event: { name: 'push', ref: 'refs/heads/main', sha: 'abc123' }, workflows: [{ file: '.github/workflows/ci.yml', name: 'CI' }], jobs, problems: [] };
}

export const REPO = { owner: 'acme', name: 'widget', installationId: '42' };

/** Creates a run with one job per key; returns the job ids in order. */
export function createRun(store: Store, keys: string[], stepNames?: string[]): { runId: string; jobIds: string[] } {
  const { run, jobs } = store.runs.create({ repo: REPO, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan(keys.map((k) => jobPlan(k, stepNames))) });
  return { runId: run.id, jobIds: jobs.map((j) => j.id) };
}

/** Lets every pending promise chain (forge calls, store writes, pumps) run to completion. */
export async function settle(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Drives a ManualClock until `done()` holds: settle, then jump to the next timer. Fails if time
 * stops (no timer left) before `done()`, or after `maxSteps` jumps.
 */
export async function runUntil(clock: ManualClock, done: () => boolean, maxSteps = 100_000): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle();
    if (done()) return;
    if (!clock.runNext()) {
      await settle();
      if (done()) return;
      throw new Error('runUntil: no timers left and the condition is still false');
    }
  }
  throw new Error(`runUntil: condition still false after ${maxSteps} timer jumps`);
}
