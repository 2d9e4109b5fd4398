/**
 * Warm paths end to end, the way `helios serve`/`helios run` put them together: a real kernel from a
 * helios.yaml (runtime-local with `warmPaths`, a storage plugin), the real store, orchestrator,
 * agent service and agent processes, and a real git repository. Runs come in as local deliveries
 * through the run planner (as `helios run` submits them); an untrusted run re-submits a planned
 * run's plan with trusted: false (only forge fork PRs are untrusted, and they plan the same way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin, PlanEvent } from '@helios-ci/sdk';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { registerCoreServices } from '../../src/services/registerCoreServices.js';
import { OrchestratorToken, RunPlannerToken, StoreToken } from '../../src/services/coreTokens.js';
import type { LocalEventPayload } from '../../src/orchestrator/runPlanner.js';
import type { RunRecord, Store } from '../../src/store/index.js';
import { GitRepo } from './gitRepo.js';

export interface WarmWorldOptions {
  /** The storage instance as helios.yaml names it: a package/path with config, or a plugin object. */
  storage: { use: string | Plugin; config: Record<string, unknown> };
  warmPaths: string[];
  /** runtime-local's `sandbox` (default: its own default, auto). */
  sandbox?: 'auto' | 'required' | 'off';
}

export class WarmWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-warm-'));
  readonly repo = new GitRepo('widget');
  kernel!: Kernel;
  private runs = 0;

  constructor(private readonly options: WarmWorldOptions) {}

  /** Starts (or, after stop, restarts) Helios on the same data directory. */
  async start(): Promise<this> {
    const { use, config } = this.options.storage;
    const storageUse = typeof use === 'string' ? use : 'test-storage-object';
    const yaml = {
      server: { dataDir: join(this.dir, 'data'), listen: '127.0.0.1:0' },
      limits: { concurrentJobs: 2, shutdownGraceSeconds: 1 },
      plugins: {
        local: { use: '@helios-ci/runtime-local', config: { labels: ['local'], killGraceMs: 500, warmPaths: { local: this.options.warmPaths }, ...(this.options.sandbox ? { sandbox: this.options.sandbox } : {}) } },
        disk: { use: storageUse, config },
      },
    };
    this.kernel = await Kernel.create({
      configText: JSON.stringify(yaml),
      configDir: this.dir,
      logSink: new MemoryLogSink(),
      ...(typeof use === 'string' ? {} : { pluginObjects: { [storageUse]: use } }),
      builtins: registerCoreServices({ shutdownGraceMs: 2000, minUpdateIntervalMs: 0 }),
    });
    await this.kernel.start();
    return this;
  }

  get store(): Store {
    return this.kernel.resolve(StoreToken);
  }

  /** Plans and runs `sha` for `event` through the run planner; resolves with the completed run. */
  async run(sha: string, event: PlanEvent): Promise<RunRecord> {
    const runId = `warm-run-${++this.runs}-${sha.slice(0, 8)}`;
    const payload: LocalEventPayload = { kind: 'local', repoDir: this.repo.dir, sha, ref: event.ref, event, runId };
    const { record } = this.store.inbox.receive({ forge: 'local', deliveryId: runId, kind: 'local', payload });
    const planned = await this.kernel.resolve(RunPlannerToken).process(record);
    if (!planned.run) throw new Error(`nothing ran: ${planned.note ?? ''} ${JSON.stringify(planned.problems ?? [])}`);
    return this.kernel.resolve(OrchestratorToken).waitForRun(planned.run.id);
  }

  push(sha: string, branch: string): Promise<RunRecord> {
    return this.run(sha, { name: 'push', ref: `refs/heads/${branch}`, sha });
  }

  pullRequest(sha: string, base: string, head: string): Promise<RunRecord> {
    return this.run(sha, { name: 'pull_request', ref: `refs/heads/${base}`, headRef: `refs/heads/${head}`, sha, action: 'synchronize' });
  }

  /** The plan of `like` again, as an untrusted run of the same push (what a fork's run is denied). */
  untrusted(like: RunRecord): Promise<RunRecord> {
    const orchestrator = this.kernel.resolve(OrchestratorToken);
    const run = orchestrator.submitRun({ plan: like.plan, repo: like.repo, sha: like.sha, ref: like.ref, forge: like.forge, trusted: false });
    return orchestrator.waitForRun(run.id);
  }

  /** The one job of a run, with its log. */
  job(run: RunRecord): { id: string; state: string; log: string } {
    const [job] = this.store.jobs.listByRun(run.id);
    if (!job) throw new Error(`run ${run.id} has no job`);
    return { id: job.id, state: job.state, log: this.store.logReader.read(job.id, { limit: 10_000 }).map((l) => l.text).join('\n') };
  }

  async stop(): Promise<void> {
    await this.kernel.stop('test finished');
  }

  async cleanup(): Promise<void> {
    await this.kernel?.stop('test finished').catch(() => undefined);
    this.repo.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
