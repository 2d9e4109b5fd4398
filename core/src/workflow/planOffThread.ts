import { Worker } from 'node:worker_threads';
import { HeliosError, PLAN_VERSION, type RunPlan } from '@helios-ci/sdk';
import type { PlanRequest } from './plan.js';
import { FileRefusedError } from './compositeAction.js';
import type { ToParent, ToWorker } from './planProtocol.js';
import { problem, ProblemCode } from './problems.js';

/** How long planning one event may compute before it is stopped (time waiting for file reads not counted). */
export const DEFAULT_PLAN_TIMEOUT_MS = 10_000;
/** Heap of a planning worker: enough for the largest accepted workflow, small enough to protect the server. */
const WORKER_HEAP_MB = 512;

export interface PlanOffThreadOptions {
  /** Compute budget; over it the worker is terminated and the plan carries one problem saying so. */
  timeoutMs?: number;
  /** Called when the worker starts (tests use it to count or observe workers). */
  onWorker?: (worker: Worker) => void;
}

/**
 * Plans in a worker thread with a time budget, so no workflow can stall the caller's event loop
 * (`helios serve` answers webhooks, the API and agent heartbeats while a pathological file is being
 * planned). The worker gets the workflow texts, event and labels as data and asks for other files
 * (local composite actions) by message; the budget pauses while a read is outstanding, so a slow
 * forge is a forge error (retried), not a planning timeout.
 */
export function planOffThread(request: PlanRequest, options: PlanOffThreadOptions = {}): Promise<RunPlan> {
  const budgetMs = options.timeoutMs ?? DEFAULT_PLAN_TIMEOUT_MS;
  const worker = new Worker(new URL('./planWorker.js', import.meta.url), {
    workerData: { files: request.files, event: request.event, labels: [...request.labels], remote: request.readRemoteFile !== undefined, actions: request.loadRemoteAction !== undefined, vmactions: request.vmactions ?? {} },
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  options.onWorker?.(worker);
  return new Promise<RunPlan>((resolve, reject) => {
    let settled = false;
    let current = [...request.files].map((f) => f.path).sort()[0] ?? '';
    let readError: unknown = null;
    let reads = 0;
    let left = budgetMs;
    let startedAt = 0;
    let timer: NodeJS.Timeout | null = null;
    const run = () => {
      startedAt = performance.now();
      timer = setTimeout(timedOut, Math.max(0, left));
    };
    const pause = () => {
      if (!timer) return;
      clearTimeout(timer);
      timer = null;
      left -= performance.now() - startedAt;
    };
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      pause();
      fn();
      void worker.terminate();
    };
    function timedOut() {
      const seconds = budgetMs / 1000;
      finish(() =>
        resolve({
          version: PLAN_VERSION,
          event: request.event,
          workflows: [],
          jobs: [],
          problems: [problem(current, ProblemCode.timeout, `planning took longer than ${seconds} s (limit: plan time per event) and was stopped. Simplify this workflow (fewer jobs, matrix values or aliases)`)],
        }),
      );
    }
    worker.on('message', (m: ToParent) => {
      switch (m.type) {
        case 'planning':
          current = m.path;
          return;
        case 'read':
        case 'readRemote':
          if (reads++ === 0) pause();
          void (m.type === 'read' ? request.readFile(m.path) : request.readRemoteFile ? request.readRemoteFile(m.repo, m.ref, m.path) : Promise.resolve(null)).then(
            (content) => reply({ id: m.id, content }),
            (err: Error & { code?: string }) => {
              if (!(err instanceof FileRefusedError)) readError = err;
              reply({ id: m.id, error: { message: err.message, ...(err.code && { code: err.code }), ...(err instanceof FileRefusedError && { refused: true, path: err.path }) } });
            },
          );
          return;
        case 'action':
          if (reads++ === 0) pause();
          void (request.loadRemoteAction ? request.loadRemoteAction(m.uses) : Promise.resolve({ ok: false as const, message: 'this plan has no action source' })).then(
            (action) => reply({ id: m.id, action }),
            (err: Error & { code?: string }) => {
              readError = err;
              reply({ id: m.id, error: { message: err.message, ...(err.code && { code: err.code }) } });
            },
          );
          return;
        case 'done':
          return finish(() => resolve(m.plan));
        case 'failed':
          // A read that failed (the forge is down) is the true cause, with its own retryability.
          return finish(() => reject(readError ?? new HeliosError('E_PLAN_FAILED', `planning failed: ${m.error.message}`, { facts: { stack: m.error.stack ?? '' } })));
      }
    });
    const reply = (m: ToWorker) => {
      if (settled) return;
      if (--reads === 0) run();
      worker.postMessage(m);
    };
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        return finish(() =>
          resolve({
            version: PLAN_VERSION,
            event: request.event,
            workflows: [],
            jobs: [],
            problems: [problem(current, ProblemCode.timeout, `planning needed more than ${WORKER_HEAP_MB} MB of memory (limit: plan memory per event) and was stopped. Simplify this workflow (fewer jobs, matrix values or aliases)`)],
          }),
        );
      }
      finish(() => reject(new HeliosError('E_PLAN_FAILED', `planning failed: ${err.message}`, { cause: err })));
    });
    worker.on('exit', (code) => finish(() => reject(new HeliosError('E_PLAN_FAILED', `the planning worker exited (code ${code}) without a plan`))));
    run();
  });
}
