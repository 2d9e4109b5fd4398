/**
 * The worker side of planOffThread: plans one request in a worker thread, so that however long a
 * workflow takes to plan, the server's event loop keeps answering. Everything arrives as data; the
 * files planning asks for (local composite actions) are requested from the parent by message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PlanEvent } from '@helios-ci/sdk';
import { plan, type WorkflowFile } from './plan.js';
import type { ToParent, ToWorker } from './planProtocol.js';
import { FileRefusedError } from './compositeAction.js';
import type { RemoteActionAnswer, RemoteUses } from './remoteAction.js';
import type { VmactionsConfig } from './vmactionsShim.js';

const port = parentPort!;
const data = workerData as { files: WorkflowFile[]; event: PlanEvent; labels: string[]; remote: boolean; actions?: boolean; vmactions: VmactionsConfig };
const pending = new Map<number, { resolve: (v: string | Uint8Array | null | RemoteActionAnswer) => void; reject: (e: Error) => void }>();
let nextId = 1;
const send = (m: ToParent) => port.postMessage(m);
/** Asks the parent for a file and waits for its answer. */
function ask(m: { type: 'read'; path: string } | { type: 'readRemote'; repo: { owner: string; name: string }; ref: string; path: string }): Promise<string | Uint8Array | null>;
function ask(m: { type: 'action'; uses: RemoteUses }): Promise<RemoteActionAnswer>;
function ask(m: { type: 'read'; path: string } | { type: 'readRemote'; repo: { owner: string; name: string }; ref: string; path: string } | { type: 'action'; uses: RemoteUses }) {
  return new Promise<string | Uint8Array | null | RemoteActionAnswer>((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    send({ ...m, id });
  });
}

port.on('message', (m: ToWorker) => {
  const waiter = pending.get(m.id);
  if (!waiter) return;
  pending.delete(m.id);
  if ('action' in m) waiter.resolve(m.action);
  else if (!('error' in m)) waiter.resolve(m.content);
  else if (m.error.refused) waiter.reject(new FileRefusedError(m.error.path ?? '', m.error.message));
  else waiter.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
});

plan({
  files: data.files,
  event: data.event,
  labels: data.labels,
  vmactions: data.vmactions,
  readFile: (path) => ask({ type: 'read', path }),
  ...(data.remote && { readRemoteFile: (repo, ref, path) => ask({ type: 'readRemote', repo: { owner: repo.owner, name: repo.name }, ref, path }) }),
  ...(data.actions && { loadRemoteAction: (uses) => ask({ type: 'action', uses: { ...uses } }) }),
  onFile: (path) => send({ type: 'planning', path }),
}).then(
  (result) => send({ type: 'done', plan: result }),
  (err: Error & { code?: string }) => send({ type: 'failed', error: { message: err.message, ...(err.code && { code: err.code }), ...(err.stack && { stack: err.stack }) } }),
);
