import { environmentApprovalOf } from '../orchestrator/environmentApproval.js';
import { join } from 'node:path';
import { ForgeToken, QueueToken, RuntimeToken, SecretsToken, StorageToken, type PluginContext } from '@helios-ci/sdk';
import { CORE_INSTANCE, type Kernel } from '../kernel/kernel.js';
import { splitHostPort } from '../kernel/config/agentEndpoint.js';
import { JobSecretGuard } from '../kernel/configSecretGuard.js';
import { webhookRoute } from '../http/webhookRoute.js';
import { Store } from '../store/index.js';
import { InProcessQueue } from '../queue/inProcessQueue.js';
import type { AgentService } from '../agent-service/agentService.js';
import { OutboxWorker, Reporter } from '../reporter/index.js';
import { Orchestrator } from '../orchestrator/orchestrator.js';
import { RunPlanner } from '../orchestrator/runPlanner.js';
import { BlobServices, blobSettingsFrom } from '../blobs/blobServices.js';
import { reconcileStorage } from '../blobs/storageReconciler.js';
import { LogMaintenance } from '../store/logs/logMaintenance.js';
import { ActionCacheToken, ActionResolverToken, ActionsRuntimeToken, AgentServiceToken, BlobsToken, DispatchToken, EgressServiceToken, OrchestratorToken, ReporterToken, RunPlannerToken, StoreToken } from './coreTokens.js';
import { egressServiceFor } from '../egress/egressServiceFor.js';
import { chooseDispatch } from '../dispatch/jobDispatch.js';
import { ActionsRuntimeService } from '../actions-runtime/actionsRuntimeService.js';
import { actionsAdvertiseOf, actionsListenOf } from '../kernel/config/actionsEndpoint.js';
import { ActionCache } from '../actions-source/actionCache.js';
import { ActionResolver } from '../actions-source/actionResolver.js';

export interface CoreServiceOptions {
  /** Base of job page links when server.publicUrl is not set (default: http://<server.listen>). */
  publicUrl?: string;
  /** The store file (default `<dataDir>/helios.db`); `:memory:` for throw-away runs. */
  storePath?: string;
  /** Where agents connect (default server.agentListen, else 127.0.0.1:0, a free port). */
  agentListen?: { host: string; port: number };
  heartbeatTimeoutMs?: number;
  requeueOnRestart?: boolean;
  /** Time running jobs get to finish at stop before they are cancelled. */
  shutdownGraceMs?: number;
  minUpdateIntervalMs?: number;
  /** Compact finished jobs' logs and apply log retention (default true; `helios run`'s throw-away store: false). */
  logMaintenance?: boolean;
  /**
   * The cache index in its own store file instead of the main store (`helios run`: the main store is
   * thrown away after the run, the caches are not). The storage reconciler is then not run: other
   * `helios run`s may be uploading into the same Storage right now.
   */
  cacheIndexPath?: string;
  /** Plan deliveries on the main thread, without the worker and its time budget (`helios run`). */
  planInThread?: boolean;
}

/**
 * Registers Helios's own services in the kernel (instance "core"): store, queue (in-process
 * unless a plugin provides one), agent service, reporter with its outbox worker, orchestrator and
 * run planner. They start after every plugin and stop before them.
 */
export function registerCoreServices(options: CoreServiceOptions = {}) {
  return (ctx: PluginContext<unknown>, kernel: Kernel): void => {
    const config = kernel.config;
    const configuredListen = config.server.agentListen ? splitHostPort(config.server.agentListen) : null;
    const publicUrl = config.server.publicUrl ?? options.publicUrl ?? `http://${config.server.listen}`;
    ctx.provide(StoreToken, { factory: () => Store.open({ path: options.storePath ?? join(kernel.dataDir, 'helios.db'), maxLogBytesPerJob: config.limits.maxLogBytesPerJob }) });
    if (kernel.graph.providersOf(QueueToken).length === 0) {
      ctx.provide(QueueToken, { deps: { store: StoreToken }, factory: ({ store }) => new InProcessQueue(store, { onHandlerError: (err, m) => ctx.logger.error('queue handler failed', { jobId: m.jobId, error: err }) }) });
    }
    ctx.provide(DispatchToken, {
      deps: { store: StoreToken, queue: QueueToken },
      factory: ({ store, queue }) => chooseDispatch(store, queue, ctx.logger.child('dispatch'), (err, jobId) => ctx.logger.error('queue handler failed', { jobId, error: err }), { hostLostMs: config.limits.agentLostSeconds * 1000 }),
    });
    // Caches and artifacts exist only with a Storage plugin; without one their RPCs say how to get one.
    const hasStorage = kernel.graph.providersOf(StorageToken).length > 0;
    if (hasStorage) {
      ctx.provide(BlobsToken, {
        deps: { store: StoreToken, storage: StorageToken },
        factory: ({ store, storage }) =>
          new BlobServices({
            store,
            storage,
            settings: blobSettingsFrom(config),
            logger: ctx.logger.child('blobs'),
            ...(options.cacheIndexPath ? { openCacheStore: () => Store.open({ path: options.cacheIndexPath! }) } : {}),
          }),
      });
    }
    if (hasStorage) {
      // Next to the agent service: on its interface (machines reach it), on a port of its own.
      const listen = actionsListenOf(config.server, options.agentListen?.host ?? configuredListen?.host ?? '127.0.0.1');
      ctx.provide(ActionsRuntimeToken, {
        deps: { store: StoreToken, blobs: BlobsToken },
        factory: ({ store, blobs }) =>
          new ActionsRuntimeService({
            store,
            blobs,
            defaultBranch: config.caches.defaultBranch,
            maxCacheEntryBytes: config.limits.maxCacheEntryBytes,
            maxArtifactBytes: config.limits.maxArtifactBytes,
            logger: ctx.logger.child('actions-runtime'),
            host: listen.host,
            port: listen.port,
            // Beside the data, not in a tmpfs /tmp: an upload may be as large as limits.maxArtifactBytes.
            stagingParent: join(kernel.dataDir, 'tmp'),
            ...actionsAdvertiseOf(config.server),
          }),
      });
    }
    // Remote action trees: fetched while planning, cached by commit under the data directory, served to agents.
    ctx.provide(ActionCacheToken, { factory: () => new ActionCache(join(kernel.dataDir, 'actions')) });
    ctx.provide(ActionResolverToken, {
      deps: { cache: ActionCacheToken, forges: ForgeToken },
      factory: ({ cache, forges }) =>
        ActionResolver.fromConfig(config.actions, { cache, forges, logger: ctx.logger.child('actions') }),
    });
    ctx.provide(AgentServiceToken, {
      deps: hasStorage ? { blobs: BlobsToken, actionTrees: ActionCacheToken } : { actionTrees: ActionCacheToken },
      // gRPC and protobufjs are a third of a CLI start: loaded when the service is built, not at import,
      // so `helios run` prints its first line before paying for them.
      factory: async (deps: { blobs?: BlobServices; actionTrees: ActionCache }): Promise<AgentService> =>
        new (await import('../agent-service/agentService.js')).AgentService({
          host: options.agentListen?.host ?? configuredListen?.host ?? '127.0.0.1',
          port: options.agentListen?.port ?? configuredListen?.port ?? 0,
          ...(config.server.agentEndpoint ? { advertise: config.server.agentEndpoint } : {}),
          awaitAdoptions: true,
          ...agentHeartbeat(options.heartbeatTimeoutMs ?? config.limits.agentLostSeconds * 1000),
          blobs: deps.blobs?.jobBlobs ?? null,
          // FetchAction serves the trees planning cached.
          actionTrees: deps.actionTrees,
          onWarning: (message, fields) => ctx.logger.warn(message, fields),
        }),
    });
    ctx.provide(EgressServiceToken, { factory: () => egressServiceFor(config, ctx.logger.child('egress')) });
    ctx.provide(ReporterToken, {
      deps: { store: StoreToken, forges: ForgeToken },
      factory: ({ store, forges }) => {
        const byId = new Map(forges.map((f) => [f.id, f]));
        const worker = new OutboxWorker({
          store,
          forges: byId,
          publicUrl,
          logger: ctx.logger.child('outbox'),
          minUpdateIntervalMs: options.minUpdateIntervalMs ?? config.limits.checkUpdateIntervalSeconds * 1000,
          callTimeoutMs: config.limits.forgeCallTimeoutSeconds * 1000,
          maxForgeAnnotationsPerJob: config.limits.maxForgeAnnotationsPerJob,
        });
        const reporter = new Reporter({ store, forges: byId, worker, maxForgeAnnotationsPerJob: config.limits.maxForgeAnnotationsPerJob });
        reporter.attach(ctx.events);
        return { reporter, worker };
      },
    });
    ctx.provide(OrchestratorToken, {
      deps: { store: StoreToken, dispatch: DispatchToken, runtimes: RuntimeToken, forges: ForgeToken, agents: AgentServiceToken, reporting: ReporterToken, egress: EgressServiceToken },
      factory: ({ store, dispatch, runtimes, forges, agents, reporting, egress }) =>
        new Orchestrator({
          store,
          queue: dispatch.queue,
          runtimes: dispatch.remote ? [...runtimes, dispatch.remote] : runtimes,
          forges,
          secrets: kernel.has(SecretsToken) ? new JobSecretGuard(kernel.resolve(SecretsToken), kernel.configSecrets) : null,
          storage: kernel.has(StorageToken) ? kernel.resolve(StorageToken) : null,
          defaultBranch: config.caches.defaultBranch,
          environmentApproval: environmentApprovalOf(config.environments),
          agents,
          egress: { service: egress, config: config.egress },
          reporter: reporting.reporter,
          events: ctx.events,
          logger: ctx.logger.child('orchestrator'),
          concurrentJobs: config.limits.concurrentJobs,
          publicUrl,
          actionsRuntime: hasStorage ? (runId, jobId) => kernel.resolve(ActionsRuntimeToken).accessFor(runId, jobId) : null,
          redactor: kernel.redactor,
          requeueOnRestart: options.requeueOnRestart ?? false,
          reconcileStorage:
            hasStorage && !options.cacheIndexPath
              ? (liveJobIds) => reconcileStorage({ storage: kernel.resolve(StorageToken), store, liveJobIds, logger: ctx.logger.child('storage-reconciler') })
              : null,
        }),
    });
    ctx.provide(RunPlannerToken, {
      deps: { store: StoreToken, orchestrator: OrchestratorToken, forges: ForgeToken, runtimes: RuntimeToken, reporting: ReporterToken, dispatch: DispatchToken, actions: ActionResolverToken },
      factory: ({ store, orchestrator, forges, runtimes, reporting, dispatch, actions }) =>
        new RunPlanner({
          store,
          orchestrator,
          forges,
          labels: () => [...new Set([...runtimes, ...(dispatch.remote ? [dispatch.remote] : [])].flatMap((r) => r.labels))],
          vmactions: config.vmactions,
          logger: ctx.logger.child('planner'),
          reporter: reporting.reporter,
          publicUrl,
          planTimeoutMs: config.limits.planTimeoutSeconds * 1000,
          forgeCallTimeoutMs: config.limits.forgeCallTimeoutSeconds * 1000,
          actions,
          ...(options.planInThread ? { planInThread: true } : {}),
        }),
    });

    let logMaintenance: LogMaintenance | null = null;
    let actionPruning: NodeJS.Timeout | null = null;
    ctx.onStart(async () => {
      const store = kernel.resolve(StoreToken);
      if (options.logMaintenance !== false) {
        logMaintenance = new LogMaintenance({
          store,
          events: ctx.events,
          logger: ctx.logger.child('logs'),
          retention: { maxAgeDays: config.limits.logRetentionDays, maxBytesPerRepository: config.limits.maxLogBytesPerRepository },
          pruneIntervalMs: config.limits.logPruneIntervalMinutes * 60_000,
        });
      }
      const planner = kernel.resolve(RunPlannerToken);
      for (const forge of kernel.resolveAll(ForgeToken)) {
        kernel.mountRoute(CORE_INSTANCE, webhookRoute(forge, store, (id) => planner.processLater(id), ctx.logger.child('webhooks')));
      }
      if (hasStorage) await kernel.resolve(ActionsRuntimeToken).start();
      await kernel.resolve(AgentServiceToken).start();
      await kernel.resolve(EgressServiceToken).start();
      kernel.resolve(ReporterToken).worker.start();
      await kernel.resolve(OrchestratorToken).start();
      if (logMaintenance) {
        logMaintenance.start();
      }
      actionPruning = startActionPruning(kernel.resolve(ActionCacheToken), config.actions.cacheMaxAgeDays, ctx.logger.child('actions'));
      // After the orchestrator's reconciliation (which removes orphaned blobs): evict, expire, then periodically.
      if (hasStorage) {
        const blobs = kernel.resolve(BlobsToken);
        blobs.housekeeping.start();
        void blobs.housekeeping.runNow();
      }
      // Deliveries still pending are not planned here: `helios serve` queues them once it listens.
    });
    // Stop hooks run in reverse registration order: orchestrator first, the store last.
    ctx.onStop(() => kernel.resolve(StoreToken).close());
    if (hasStorage) {
      ctx.onStop(async () => {
        const blobs = kernel.resolve(BlobsToken);
        await blobs.housekeeping.stop();
        blobs.closeCacheStore();
      });
    }
    ctx.onStop(() => kernel.resolve(AgentServiceToken).stop());
    ctx.onStop(() => kernel.resolve(EgressServiceToken).stop());
    if (hasStorage) ctx.onStop(() => kernel.resolve(ActionsRuntimeToken).stop());
    ctx.onStop(() => kernel.resolve(ReporterToken).worker.stop());
    ctx.onStop(() => logMaintenance?.stop());
    ctx.onStop(() => {
      if (actionPruning) clearInterval(actionPruning);
    });
    ctx.onStop(() => kernel.resolve(OrchestratorToken).stop(options.shutdownGraceMs ?? config.limits.shutdownGraceSeconds * 1000));
  };
}

/** The agent service's lost timeout and the heartbeat interval agents are told (a quarter, at most 5 s). */
function agentHeartbeat(timeoutMs: number): { heartbeatTimeoutMs: number; heartbeatIntervalMs: number } {
  return { heartbeatTimeoutMs: timeoutMs, heartbeatIntervalMs: Math.min(5000, Math.floor(timeoutMs / 4)) };
}

/** Prunes cached action trees unused for `maxAgeDays`: now, then twice a day. */
function startActionPruning(cache: ActionCache, maxAgeDays: number, logger: { info: (m: string, f?: Record<string, unknown>) => void; warn: (m: string, f?: Record<string, unknown>) => void }): NodeJS.Timeout {
  const prune = () =>
    void cache.prune(maxAgeDays * 86_400_000).then(
      (removed) => removed && logger.info('pruned cached actions', { removed }),
      (error: unknown) => logger.warn('pruning cached actions failed', { error }),
    );
  prune();
  const timer = setInterval(prune, 12 * 3_600_000);
  timer.unref();
  return timer;
}
