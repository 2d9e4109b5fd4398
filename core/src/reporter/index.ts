export { Reporter, budgetKeyOf, ANNOTATIONS_PER_CALL, DEFAULT_MAX_FORGE_ANNOTATIONS, type ReporterOptions } from './reporter.js';
export { OutboxWorker, type OutboxWorkerOptions } from './outboxWorker.js';
export { buildLogTail, truncationMarker, type ReadBackward } from './logTail.js';
export { renderSummary, renderTitle, renderUpdate, conclusionOf, formatDuration, type CheckView } from './render.js';
export { TokenBucket } from './tokenBucket.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
