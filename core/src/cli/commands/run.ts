import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative as relativePath, resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HeliosError, type PlanEvent } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { Kernel } from '../../kernel/kernel.js';
import { MemoryLogSink } from '../../kernel/logger.js';
import { registerCoreServices } from '../../services/registerCoreServices.js';
import { BlobsToken, OrchestratorToken, RunPlannerToken, StoreToken } from '../../services/coreTokens.js';
import { extractRunArtifacts } from '../run/extractArtifacts.js';
import { embeddedRunConfig, localCacheHome } from '../run/localCacheHome.js';
import { LocalRepository } from '../../localRepo/localRepository.js';
import type { LocalEventPayload } from '../../orchestrator/runPlanner.js';
import { viewRun } from '../../orchestrator/runView.js';
import { attachPlainRenderer } from '../run/plainRenderer.js';
import { TtyRenderer } from '../run/ttyRenderer.js';
import { printFailures } from '../run/failureReport.js';
import { formatMs } from '../run/format.js';
import { kernelOptionsFrom } from './configOption.js';
import { loudWarnings } from '../run/loudWarnings.js';

const EVENTS = ['push', 'pull_request', 'workflow_dispatch'] as const;

export const runCommand: Command = {
  path: ['run'],
  summary: "run this repository's workflows locally, through the whole kernel (exit 0 only on success)",
  help: `Usage: helios run [--dirty] [--workflow NAME]... [--job KEY]... [--event push|pull_request|workflow_dispatch]
                  [--input K=V]... [--secret-file FILE] [--artifacts DIR] [--json] [--config FILE]

Plans the workflows of the git repository around the current directory for a local event, then
runs every job the same way a webhook would: store, queue, orchestrator, agent over gRPC, on the
local runtime. Without --config the embedded defaults apply.

Options:
      --dirty             run the working tree (tracked and untracked files) instead of HEAD
      --workflow NAME     only this workflow file (ci.yml, ci, or .github/workflows/ci.yml); repeatable
      --job KEY           only this job (and the jobs it needs); repeatable
      --event NAME        push (default), pull_request or workflow_dispatch
      --input K=V         a workflow_dispatch input; repeatable
      --secret-file FILE  secrets for the run (YAML "secrets:" map, mode 600)
      --artifacts DIR     extract the run's artifacts to DIR/<run>/<name>/ (default ./.helios/artifacts)
      --json              print the final run record (jobs, steps, conclusions, durations, annotations) as JSON
  -c, --config FILE       use this helios.yaml instead of the embedded defaults`,
  options: {
    config: { type: 'string', short: 'c' },
    dirty: { type: 'boolean' },
    workflow: { type: 'string', multiple: true },
    job: { type: 'string', multiple: true },
    event: { type: 'string' },
    input: { type: 'string', multiple: true },
    'secret-file': { type: 'string' },
    artifacts: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const v = args.values as Record<string, string | boolean | string[] | undefined>;
    const eventName = (v.event as string | undefined) ?? 'push';
    if (!(EVENTS as readonly string[]).includes(eventName)) {
      throw new HeliosError('E_USAGE', `--event ${eventName} is not supported; use one of ${EVENTS.join(', ')}`);
    }
    const inputs: Record<string, string> = {};
    for (const pair of (v.input as string[] | undefined) ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new HeliosError('E_USAGE', `--input ${pair} must be KEY=VALUE`);
      inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const repo = await LocalRepository.open(io.cwd);
    const runId = randomUUID();
    const base = kernelOptionsFrom(args, io);
    // Caches outlive the run (its store is a temp dir): their index and, on the embedded defaults,
    // the storage-dir directory live in the repository's .helios/ (which --dirty snapshots leave out).
    const home = localCacheHome(repo.root);
    const configText = v.config ? undefined : embeddedRunConfig(v['secret-file'] as string | undefined, home.storage);
    const json = v.json === true;
    const log = (text: string) => (json ? io.stderr : io.stdout).write(text);

    // The commit first: the first line says what runs before the kernel, its plugins and gRPC load.
    const snapshot = v.dirty ? await repo.snapshot(runId) : await repo.head(runId);
    const ref = snapshot.ref;
    log(`helios run: ${repo.name} ${v.dirty ? 'working tree' : 'HEAD'} ${snapshot.sha.slice(0, 12)} (${ref}), event ${eventName}\n`);
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
        builtins: registerCoreServices({ storePath: join(dataDir, 'helios.db'), shutdownGraceMs: 5000, minUpdateIntervalMs: 0, logMaintenance: false, cacheIndexPath: home.index }),
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
      await kernel.stop('helios run finished');
      await repo.release(snapshot);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
