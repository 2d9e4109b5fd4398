/**
 * FetchAction (agent.proto): the tar of a remote action's repository at a commit, for a job whose
 * plan runs that action. The job token proves which job asks; only the (repo, sha) pairs its plan
 * names are served, so a step holding the token cannot read other trees the host has cached.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { HeliosError } from '@helios-ci/sdk';
import type { ActionQuery__Output, DownloadChunk } from '@helios-ci/proto';
import type { ActionTreeSource } from './actionTreeSource.js';
import { toGrpcStatus } from './grpcStatus.js';
import type { JobState } from './jobState.js';
import { planNamesAction } from './planActions.js';
import { PROTOCOL_VERSION } from './proto.js';

const CHUNK_BYTES = 1024 * 1024;
const SHA = /^[0-9a-f]{40}$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export interface ActionRpcHost {
  authenticate(token: string): JobState;
  readonly actionTrees: ActionTreeSource | null;
}

type FetchCall = grpc.ServerWritableStream<ActionQuery__Output, DownloadChunk>;

export function actionRpcHandlers(host: ActionRpcHost): Record<string, grpc.UntypedHandleCall> {
  const fetchAction = (call: FetchCall) => {
    const run = async () => {
      const { repo, sha, jobToken, protocolVersion } = call.request;
      if (protocolVersion !== PROTOCOL_VERSION) {
        throw new HeliosError('E_AGENT_PROTOCOL_MISMATCH', `an action fetch speaks protocol v${protocolVersion}, this server v${PROTOCOL_VERSION}; use the matching helios-agent`);
      }
      const job = host.authenticate(jobToken);
      if (!REPO.test(repo) || !SHA.test(sha)) throw new HeliosError('E_USAGE', `FetchAction: ${JSON.stringify(repo)}@${JSON.stringify(sha)} is not owner/name at a 40-hex commit`);
      if (!planNamesAction(job.spec.job.steps, repo, sha)) {
        throw new HeliosError('E_FORBIDDEN', `job ${job.jobId}: its plan does not run ${repo}@${sha}; an agent may fetch only the actions its job's plan names`);
      }
      if (!host.actionTrees) {
        throw new HeliosError('E_NOT_FOUND', `this server has no source of remote action files, so ${repo}@${sha} cannot be fetched; run a server with remote actions enabled (the actions source), or use only local and built-in actions`);
      }
      const file = await host.actionTrees.tarFile(repo, sha);
      if (!file) throw new HeliosError('E_NOT_FOUND', `the server does not have the files of ${repo}@${sha} (not in its action cache); re-plan the run so the action is fetched again`);
      const { size } = await stat(file);
      await send(call, { header: { found: true, name: `${repo}@${sha}`, size, exact: true } });
      const input = createReadStream(file, { highWaterMark: CHUNK_BYTES });
      try {
        for await (const chunk of input) await send(call, { data: chunk as Buffer });
      } finally {
        input.destroy();
      }
      call.end();
    };
    run().catch((err: unknown) => {
      if (!call.cancelled) call.emit('error', toGrpcStatus(err));
    });
  };
  return { FetchAction: fetchAction as grpc.UntypedHandleCall };
}

async function send(call: FetchCall, message: DownloadChunk): Promise<void> {
  if (call.cancelled) throw new HeliosError('E_CANCELLED', 'the agent cancelled the action fetch');
  if (!call.write(message)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
}
