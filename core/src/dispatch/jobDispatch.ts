import type { DispatcherHostOptions, Logger, Queue, RemoteDispatcher } from '@helios-ci/sdk';
import { InProcessQueue } from '../queue/inProcessQueue.js';
import type { Store } from '../store/index.js';

/**
 * How control hands jobs to machines, chosen by config: the orchestrator always schedules through
 * `queue`; with a queue plugin that reaches other hosts (queue-nats), the jobs of the labels workers
 * serve go to `remote` (a Runtime whose machines workers make) and the orchestrator's own queue
 * stays the in-process one over the store.
 */
export interface JobDispatch {
  queue: Queue;
  remote: RemoteDispatcher | null;
}

export function chooseDispatch(store: Store, queue: Queue, logger: Logger, onHandlerError: (err: unknown, jobId: string) => void, hostOptions: DispatcherHostOptions = {}): JobDispatch {
  if (!queue.hosts) return { queue, remote: null };
  const remote = queue.hosts.dispatcher(logger, hostOptions);
  if (remote) logger.info('jobs for these labels go to workers through the queue', { labels: [...remote.labels] });
  return { queue: new InProcessQueue(store, { onHandlerError: (err, m) => onHandlerError(err, m.jobId) }), remote };
}
