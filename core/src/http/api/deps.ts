import type { EventBus, Logger } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import type { Orchestrator } from '../../orchestrator/orchestrator.js';
import type { RunPlanner } from '../../orchestrator/runPlanner.js';
import type { RepoMirrors } from './repoMirrors.js';
import type { StreamSlots } from './streamSlots.js';
import type { Artifacts } from '../../blobs/artifacts.js';

/** What the REST API and the pages need from the running kernel. */
export interface ApiDeps {
  store: Store;
  orchestrator: Orchestrator;
  planner: RunPlanner;
  events: EventBus;
  mirrors: RepoMirrors;
  /** The admin token the write endpoints require. */
  adminToken: string;
  logger: Logger;
  /** Run artifacts' bytes; null without a Storage plugin (listing still works from the index). */
  artifacts: Artifacts | null;
  /** Live log streams per job and per client address. */
  streamSlots: StreamSlots;
}
