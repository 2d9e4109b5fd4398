import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { HeliosError, type PlanEvent } from '@helios-ci/sdk';
import type { Store } from '../../store/index.js';
import type { LocalEventPayload, RunPlanner } from '../../orchestrator/runPlanner.js';
import type { RunRecord } from '../../store/index.js';
import type { CreateRunBody } from './schemas.js';
import type { RepoMirrors } from './repoMirrors.js';

/** Inbox rows of API-requested runs carry this forge id (the metrics do not count them as webhooks). */
export const API_INBOX_FORGE = 'api';

/**
 * `POST /api/runs`: fetch the repository into its mirror, resolve the ref, and plan the commit the
 * same way a webhook is planned — an inbox record (so the request is on record, and planning is
 * exactly-once) processed by the RunPlanner with a local event whose repoDir is the mirror.
 */
export async function submitRun(deps: { store: Store; planner: RunPlanner; mirrors: RepoMirrors }, body: Static<typeof CreateRunBody>): Promise<RunRecord> {
  if (body.inputs && body.event !== 'workflow_dispatch') {
    throw new HeliosError('E_RUN_REQUEST_INVALID', `inputs are only for event workflow_dispatch (this request has event ${body.event}); drop them or set "event": "workflow_dispatch"`);
  }
  const commit = await deps.mirrors.resolve(body.repository, body.ref);
  const event: PlanEvent =
    body.event === 'pull_request'
      ? { name: 'pull_request', ref: commit.ref, headRef: commit.ref, sha: commit.sha, action: 'synchronize' }
      : { name: body.event, ref: commit.ref, sha: commit.sha, ...(body.event === 'workflow_dispatch' ? { inputs: body.inputs ?? {} } : {}) };
  const runId = randomUUID();
  const payload: LocalEventPayload = {
    kind: 'local',
    repoDir: commit.dir,
    sha: commit.sha,
    ref: commit.ref,
    event,
    runId,
    ...(body.workflows ? { workflows: body.workflows } : {}),
  };
  const { record } = deps.store.inbox.receive({ forge: API_INBOX_FORGE, deliveryId: runId, kind: 'local', payload });
  const planned = await deps.planner.process(record);
  if (planned.run) return planned.run;
  if (planned.problems?.length) {
    const list = planned.problems.map((p) => `${p.file}:${p.line ?? 1}:${p.col ?? 1}: ${p.message}`).join('\n');
    throw new HeliosError('E_WORKFLOW_INVALID', `the workflows at ${commit.sha.slice(0, 12)} are invalid:\n${list}`, { facts: { problems: planned.problems } });
  }
  throw new HeliosError('E_NOTHING_TO_RUN', `nothing runs for ${body.event} to ${commit.ref} at ${commit.sha.slice(0, 12)}: ${planned.note ?? 'no jobs'}; check the workflows' "on:" triggers`);
}
