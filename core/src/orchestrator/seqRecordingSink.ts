import type { AnnotationEvent, JobFinishedEvent, JobSink, LogBatch, StepFinishedEvent, StepStartedEvent } from '../agent-service/types.js';
import type { Store } from '../store/index.js';

/**
 * A job sink for jobs on other hosts: each agent message's events are stored in one transaction
 * with its seq (job_agents.last_seq), so a control killed at any point restarts knowing exactly
 * which messages it has — the agent's resume resends the rest, and no log line is lost or doubled.
 */
export class SeqRecordingSink implements JobSink {
  constructor(
    private readonly inner: JobSink,
    private readonly store: Store,
    private readonly jobId: string,
  ) {}

  private stored(seq: number, fn: () => void | Promise<void>): void {
    this.store.transaction(() => {
      // StoreJobSink's store writes are synchronous; a promise here would escape the transaction.
      const r = fn();
      if (r instanceof Promise) throw new Error('SeqRecordingSink needs a synchronous inner sink');
      this.store.jobAgents.setSeq(this.jobId, seq);
    });
  }

  onStepStarted(e: StepStartedEvent): void {
    this.stored(e.seq, () => this.inner.onStepStarted(e));
  }

  onLog(b: LogBatch): void {
    this.stored(b.seq, () => this.inner.onLog(b));
  }

  onStepFinished(e: StepFinishedEvent): void | Promise<void> {
    // The inner sink stores synchronously; what it returns is work to do after that (a snapshot the
    // agent waits for), which must not run inside the transaction.
    let after: Promise<void> | undefined;
    this.stored(e.seq, () => {
      const r = this.inner.onStepFinished(e);
      if (r instanceof Promise) after = r;
    });
    return after;
  }

  onAnnotation(e: AnnotationEvent): void {
    this.stored(e.seq, () => this.inner.onAnnotation(e));
  }

  onFinished(e: JobFinishedEvent): void | Promise<void> {
    return this.inner.onFinished(e);
  }

  onConnected(): void {
    this.inner.onConnected?.();
  }

  onLost(reason: string): void | Promise<void> {
    return this.inner.onLost(reason);
  }
}
