import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative as relativePath, resolve as resolvePath } from 'node:path';
import type { PlanEvent } from '@helios-ci/sdk';
import type { CliIO, ParsedArgs } from '../command.js';
import { Kernel, type KernelOptions } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { registerCoreServices } from '../../services/registerCoreServices.js';
import { BlobsToken, OrchestratorToken, RunPlannerToken, StoreToken } from '../../services/coreTokens.js';
import type { LocalRepository, RepoSnapshot } from '../../localRepo/localRepository.js';
import type { LocalEventPayload } from '../../orchestrator/runPlanner.js';
import { viewRun } from '../../orchestrator/runView.js';
import { extractRunArtifacts } from './extractArtifacts.js';
import { embeddedRunConfig, localCacheHome } from './localCacheHome.js';
import { attachPlainRenderer } from './plainRenderer.js';
import { TtyRenderer } from './ttyRenderer.js';
import { printFailures } from './failureReport.js';
import { formatMs } from './format.js';
import { loudWarnings } from './loudWarnings.js';

export type RunEventName = 'push' | 'pull_request' | 'workflow_dispatch';

export interface RunSnapshotRequest {
  args: ParsedArgs;
  io: CliIO;
  /** Which config: from `kernelOptionsFrom` (the embedded defaults unless --config or a helios.yaml). */
  base: KernelOptions;
  repo: LocalRepository;
  /** Pinned by the caller; released here, whatever happens. */
  snapshot: RepoSnapshot;
  runId: string;
  eventName: RunEventName;
  inputs: Record<string, string>;
  json: boolean;
}

/**
 * `helios run` after its first line: the kernel on a temp data dir (store in memory, planning on this
 * thread), the local event through the inbox and planner like a webhook, the run until it ends, its
 * artifacts and the summary. A module of its own so that `helios run` loads it (and the kernel, the
 * workflow engine, the store) only once the commit is printed. Returns the exit code.
 */
export async function runSnapshot(r: RunSnapshotRequest): Promise<number> {
  const { args, io, base, repo, snapshot, runId, eventName, inputs, json } = r;
  const v = args.values as Record<string, string | boolean | string[] | undefined>;
  const ref = snapshot.ref;
  const log = (text: string) => (json ? io.stderr : io.stdout).write(text);
  // The run's store is in memory (nothing reads it after the run). Caches outlive the run: their
  // index and, on the embedded defaults, the storage-dir directory live in the repository's .helios/
  // (which --dirty snapshots leave out).
  const home = localCacheHome(repo.root);
  let configText: string | undefined;
  try {
    configText = v.config ? undefined : embeddedRunConfig(v['secret-file'] as string | undefined, home.storage);
  } catch (err) {
    await repo.release(snapshot);
    throw err;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'helios-run-'));
  let kernel: Kernel;
  const memoryLog = new MemoryLogSink();
  try {
    kernel = await Kernel.create({
      ...base,
      ...(configText !== undefined ? { configText, configPath: '(embedded defaults)', configDir: io.cwd } : {}),
      dataDir,
      // The repository's .helios/ holds the cache index and the local storage: no job reads them.
      protectedPaths: [home.dir],
      logSink: memoryLog,
      builtins: registerCoreServices({ storePath: ':memory:', shutdownGraceMs: 5000, minUpdateIntervalMs: 0, logMaintenance: false, cacheIndexPath: home.index, planInThread: true }),
    });
  } catch (err) {
    await repo.release(snapshot);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const stop = io.waitForStop();
  let renderer: { stop(): void } | null = null;
  try {
    await kernel.start();
    // The log goes to memory (the run's output is the renderer's); a warning marked loud (jobs not isolated) still shows.
    for (const text of loudWarnings(memoryLog.lines)) io.stderr.write(`warning: ${text}\n`);
    const store = kernel.resolve(StoreToken);
    const orchestrator = kernel.resolve(OrchestratorToken);
    const event: PlanEvent =
      eventName === 'pull_request'
        ? { name: 'pull_request', ref, headRef: ref, sha: snapshot.sha, action: 'synchronize' }
        : { name: eventName as 'push' | 'workflow_dispatch', ref, sha: snapshot.sha, ...(eventName === 'workflow_dispatch' ? { inputs } : {}) };

    const payload: LocalEventPayload = {
      kind: 'local',
      repoDir: repo.root,
      sha: snapshot.sha,
      ref,
      event,
      runId,
      ...(v.workflow ? { workflows: v.workflow as string[] } : {}),
      ...(v.job ? { jobs: v.job as string[] } : {}),
    };
    if (!json) {
      renderer = io.stdout.isTTY
        ? new TtyRenderer(kernel.events, store, () => (store.runs.get(runId) ? runId : null), (t) => io.stdout.write(t))
        : { stop: attachPlainRenderer(kernel.events, store, (t) => io.stdout.write(t)) };
    }
    const { record } = store.inbox.receive({ forge: 'local', deliveryId: runId, kind: 'local', payload });
    const planned = await kernel.resolve(RunPlannerToken).process(record);
    if (!planned.run) {
      renderer?.stop();
      for (const p of planned.problems ?? []) io.stderr.write(`${p.file}:${p.line ?? 1}:${p.col ?? 1}: ${p.message}\n`);
      io.stderr.write(`helios run: nothing ran: ${planned.note ?? 'no jobs'}\n`);
      return 1;
    }
    const outcome = await Promise.race([orchestrator.waitForRun(planned.run.id), stop.then(() => null)]);
    if (outcome === null) {
      log('\nhelios run: interrupted; cancelling the run\n');
      orchestrator.cancelRun(planned.run.id, 'interrupted by the user');
      await orchestrator.waitForRun(planned.run.id);
    }
    renderer?.stop();
    renderer = null;
    const view = viewRun(store, planned.run.id)!;
    if (kernel.has(BlobsToken)) {
      const root = resolvePath(io.cwd, (v.artifacts as string | undefined) ?? join('.helios', 'artifacts'));
      try {
        const { artifacts } = kernel.resolve(BlobsToken);
        const extracted = await extractRunArtifacts(artifacts, planned.run.id, root);
        for (const a of extracted) log(`helios run: artifact ${a.name} (${a.files} file${a.files === 1 ? '' : 's'}) → ${relativePath(io.cwd, a.dir) || '.'}\n`);
        // Extracted, they are the user's files now; the stored copies would only pile up in .helios/storage.
        await artifacts.removeRun(planned.run.id);
      } catch (err) {
        // The run's outcome stands; the user learns which artifact could not be written and why.
        io.stderr.write(`helios run: artifacts not extracted: ${(err as Error).message}\n`);
      }
    }
    if (json) {
      io.stdout.write(JSON.stringify(view, null, 2) + '\n');
    } else {
      printFailures(store, view, (t) => io.stdout.write(t));
      io.stdout.write(`\nhelios run: ${view.conclusion} in ${formatMs(view.durationMs)} (${view.jobs.map((j) => `${j.name}: ${j.state}`).join(', ')})\n`);
    }
    return outcome !== null && view.conclusion === 'success' ? 0 : 1;
  } finally {
    renderer?.stop();
    // The run is over (or cancelled and waited for): no agent fetches the pinned commit any more,
    // so the pin goes while the kernel stops.
    await Promise.all([kernel.stop('helios run finished'), repo.release(snapshot)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
