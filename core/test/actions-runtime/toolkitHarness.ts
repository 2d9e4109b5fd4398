/**
 * The actions runtime service over a BlobHarness (real store, real Storage), and a step stand-in:
 * the real @actions/cache / @actions/artifact in a child process with the env a job gets.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionsRuntimeAccess, Logger } from '@helios-ci/sdk';
import { ActionsRuntimeService } from '../../src/actions-runtime/index.js';
import type { RunRecord } from '../../src/store/index.js';
import { BlobHarness, defaultSettings, type RunShape } from '../helpers/blobHarness.js';
import { probedStorage, type ProbedStorage } from '../helpers/probedStorage.js';
import { REPO_ROOT } from '../helpers/tempProject.js';

const CLIENT = join(REPO_ROOT, 'core/test/fixtures/actions-toolkit/client.mjs');

export interface StepJob {
  run: RunRecord;
  jobId: string;
  env: { ACTIONS_RUNTIME_TOKEN: string } & Record<string, string>;
}

export interface ToolkitCall {
  op: string;
  args: unknown;
  o: { cwd: string; protocol?: 'v1' | 'v2' };
}

export interface ToolkitResult {
  ok: boolean;
  result: unknown;
  error: string;
  output: string;
}

export class ToolkitHarness {
  readonly storage: ProbedStorage = probedStorage('storage-dir');
  readonly blobs = new BlobHarness(this.storage, defaultSettings({ caches: { maxEntryBytes: 4 * 1024 * 1024 }, artifacts: { maxBytes: 4 * 1024 * 1024 } }));
  readonly logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  readonly service: ActionsRuntimeService;
  readonly dir = mkdtempSync(join(tmpdir(), 'helios-toolkit-'));

  constructor(limits: { maxCacheEntryBytes?: number; maxArtifactBytes?: number } = {}) {
    this.service = new ActionsRuntimeService({
      store: this.blobs.store,
      blobs: this.blobs.blobs,
      defaultBranch: 'main',
      maxCacheEntryBytes: limits.maxCacheEntryBytes ?? 4 * 1024 * 1024,
      maxArtifactBytes: limits.maxArtifactBytes ?? 4 * 1024 * 1024,
      logger: this.logger(),
      stagingParent: join(this.dir, 'staging'),
    });
  }

  async start(): Promise<this> {
    await this.blobs.start();
    await this.service.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.blobs.stop();
    this.storage.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A running job of a new run shaped as asked (or another job of `sameRun`). */
  job(shape: RunShape = {}, sameRun?: RunRecord): StepJob {
    let run: RunRecord;
    let jobId: string;
    if (sameRun) {
      run = sameRun;
      jobId = this.blobs.sibling(sameRun).jobId;
    } else {
      ({ run, jobId } = this.blobs.job(shape));
    }
    this.blobs.store.jobs.transition(jobId, 'provisioning');
    this.blobs.store.jobs.transition(jobId, 'running');
    return { run, jobId, env: envOf(this.service.accessFor(run.id, jobId)) };
  }

  end(job: StepJob): void {
    this.blobs.store.jobs.transition(job.jobId, 'succeeded');
  }

  /** A workspace directory for a step. */
  workspace(name: string): string {
    const d = join(this.dir, 'ws', name);
    return d;
  }

  /** Runs the toolkit client as a step would, one call. */
  async toolkit(job: StepJob, op: string, args: unknown, o: ToolkitCall['o']): Promise<ToolkitResult> {
    return (await this.calls(job, [{ op, args, o }]))[0]!;
  }

  /** Several calls in one step process (in order). `protocol` v1 drops ACTIONS_CACHE_SERVICE_V2. */
  calls(job: StepJob, calls: ToolkitCall[]): Promise<ToolkitResult[]> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...job.env, RUNNER_TEMP: join(this.dir, 'runner-temp'), GITHUB_REF: job.run.ref };
    const argv = JSON.stringify(calls.map((c) => ({ op: c.op, args: c.args, cwd: c.o.cwd, protocol: c.o.protocol ?? 'v2' })));
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLIENT, argv], { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('error', reject);
      child.on('close', () => {
        resolve(
          calls.map((_, i) => {
            const line = output.split('\n').find((l) => l.startsWith(`RESULT ${i} `) || l.startsWith(`FAILED ${i} `));
            if (!line) return { ok: false, result: null, error: 'no result line', output };
            const rest = line.slice(line.indexOf(' ', 7) + 1);
            return line.startsWith('RESULT ') ? { ok: true, result: JSON.parse(rest) as unknown, error: '', output } : { ok: false, result: null, error: rest, output };
          }),
        );
      });
    });
  }

  private logger(): Logger {
    const logs = this.logs;
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, ...(fields ? { fields } : {}) });
    const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l } as unknown as Logger;
    return l;
  }
}

/** What the agent puts in a step's env from JobSpec.actionsRuntime (agent/src/job/stepContexts.ts). */
function envOf(a: ActionsRuntimeAccess): StepJob['env'] {
  return { ACTIONS_RESULTS_URL: a.resultsUrl, ACTIONS_CACHE_URL: a.cacheUrl, ACTIONS_RUNTIME_TOKEN: a.token, ...(a.cacheServiceV2 ? { ACTIONS_CACHE_SERVICE_V2: 'True' } : {}) };
}
