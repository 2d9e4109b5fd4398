import { defineToken } from '@helios-ci/sdk';
import type { Store } from '../store/index.js';
import type { AgentService } from '../agent-service/agentService.js';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { RunPlanner } from '../orchestrator/runPlanner.js';
import type { Reporter, OutboxWorker } from '../reporter/index.js';
import type { BlobServices } from '../blobs/blobServices.js';
import type { JobDispatch } from '../dispatch/jobDispatch.js';
import type { EgressService } from '../egress/egressService.js';
import type { ActionsRuntimeService } from '../actions-runtime/actionsRuntimeService.js';
import type { ActionCache } from '../actions-source/actionCache.js';
import type { ActionResolver } from '../actions-source/actionResolver.js';

/** Core-internal tokens: resolved through the same kernel container as plugin values. */
export const StoreToken = defineToken<Store>('core.store');
export const AgentServiceToken = defineToken<AgentService>('core.agent-service');
export const ReporterToken = defineToken<{ reporter: Reporter; worker: OutboxWorker }>('core.reporter');
export const OrchestratorToken = defineToken<Orchestrator>('core.orchestrator');
export const RunPlannerToken = defineToken<RunPlanner>('core.run-planner');
/** Caches and artifacts; provided only when a Storage plugin is configured. */
export const BlobsToken = defineToken<BlobServices>('core.blobs');
/** The orchestrator's queue and, with queue-nats, the dispatcher runtime for workers' labels. */
export const DispatchToken = defineToken<JobDispatch>('core.dispatch');
/** The egress proxy jobs' outbound HTTP(S) goes through, with one credential per running job. */
export const EgressServiceToken = defineToken<EgressService>('core.egress');
/** The cache and artifact APIs toolkit-based actions call; provided only with a Storage plugin. */
export const ActionsRuntimeToken = defineToken<ActionsRuntimeService>('core.actions-runtime');
/** The per-host cache of remote action trees (planning fills it, the agent service's FetchAction reads it). */
export const ActionCacheToken = defineToken<ActionCache>('core.action-cache');
/** Remote actions for planning: helios.yaml `actions:` policy and sources over the action cache. */
export const ActionResolverToken = defineToken<ActionResolver>('core.action-resolver');
