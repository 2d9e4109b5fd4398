import type { Annotation, EventBus, JobPlan } from '@helios-ci/sdk';
import type { Store } from '../store/index.js';
import type { AnnotationEvent, JobFinishedEvent, JobSink, LogBatch, StepFinishedEvent, StepStartedEvent } from '../agent-service/types.js';

const LEVEL: Record<AnnotationEvent['level'], Annotation['level']> = { error: 'failure', warning: 'warning', notice: 'notice' };

/**
 * Where one job's agent events land: the store (steps, the full log, annotations) and the kernel
 * bus (live UI, reporter). Steps are numbered 1..n as planned; nested composite steps log under
 * their top-level step; output before the first step (checkout, setup) is step 0.
 */
export class StoreJobSink implements JobSink {
  private readonly stepIndex = new Map<string, number>();
  private readonly topLevel: Set<string>;
  /** Index of the next post step: after the planned steps, in the order the agent runs them. */
  private nextPostIndex: number;
  finished: JobFinishedEvent | null = null;
  lostReason: string | null = null;
  /**
   * Told when a top-level step ends (after it is stored): vmactions cache-after-prepare listens. A
   * promise it returns delays the ack of that step's end, which an agent told `pauseAfterStep` waits for.
   */
  afterStep: ((step: string, conclusion: string) => void | Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly events: EventBus,
    private readonly runId: string,
    private readonly jobId: string,
    plan: JobPlan,
  ) {
    plan.steps.forEach((s, i) => this.stepIndex.set(s.id, i + 1));
    this.topLevel = new Set(plan.steps.map((s) => s.id));
    this.nextPostIndex = plan.steps.length + 1;
  }

  private idx(step: string): number {
    return this.stepIndex.get(step) ?? 0;
  }

  onStepStarted(e: StepStartedEvent): void {
    if (e.parent !== null) {
      this.stepIndex.set(e.step, this.idx(e.parent));
      return;
    }
    let idx = this.idx(e.step);
    if (idx === 0 && e.step.startsWith('__post_')) {
      // An action's post step ("Post <name>", agent id `__post_<step id>`) is a step of its own.
      idx = this.nextPostIndex++;
      this.stepIndex.set(e.step, idx);
      this.topLevel.add(e.step);
    }
    if (idx === 0) return;
    this.store.steps.start(this.jobId, idx, e.name);
    this.events.emit('job.step', { runId: this.runId, jobId: this.jobId, step: idx, name: e.name, state: 'started' });
  }

  onLog(batch: LogBatch): void {
    const step = this.idx(batch.step);
    this.store.logs.append(this.jobId, batch.lines.map((text) => ({ step, stream: batch.stream, ts: batch.ts, text })));
    this.events.emit('job.log', { runId: this.runId, jobId: this.jobId, step, lines: batch.lines });
  }

  onStepFinished(e: StepFinishedEvent): void | Promise<void> {
    if (!this.topLevel.has(e.step)) return;
    const idx = this.idx(e.step);
    const record = this.store.steps.finish(this.jobId, idx, e.conclusion);
    this.events.emit('job.step', { runId: this.runId, jobId: this.jobId, step: idx, name: record.name, state: 'finished', conclusion: e.conclusion });
    return this.afterStep?.(e.step, e.conclusion);
  }

  onAnnotation(e: AnnotationEvent): void {
    const annotation: Annotation = {
      level: LEVEL[e.level],
      message: e.message,
      ...(e.title ? { title: e.title } : {}),
      ...(e.file ? { file: e.file } : {}),
      ...(e.line !== null ? { line: e.line } : {}),
      ...(e.endLine !== null ? { endLine: e.endLine } : {}),
      ...(e.col !== null ? { col: e.col } : {}),
      ...(e.endColumn !== null ? { endCol: e.endColumn } : {}),
    };
    this.events.emit('job.annotation', { runId: this.runId, jobId: this.jobId, annotation });
  }

  /** A new attempt of the job (its host was lost): what the last agent said no longer counts. */
  restart(): void {
    this.finished = null;
    this.lostReason = null;
    this.agentConnected = false;
    // The next attempt's MachineSpec.agentConnected waits for its own agent, not the lost one's Hello.
    this.hello = new Promise<void>((resolve) => (this.helloSeen = resolve));
  }

  onFinished(e: JobFinishedEvent): void {
    this.finished = e;
  }

  onLost(reason: string): void {
    this.lostReason = reason;
    this.system(`agent lost: ${reason}`);
  }

  /** True once the job's agent said Hello; console lines after it stay in the full log only. */
  agentConnected = false;
  private helloSeen!: () => void;
  /** Resolves at the agent's first Hello (MachineSpec.agentConnected); a new one per attempt (restart). */
  hello = new Promise<void>((resolve) => (this.helloSeen = resolve));

  onConnected(): void {
    this.agentConnected = true;
    this.helloSeen();
    this.store.jobTimings.mark(this.jobId, 'hello', Date.now());
  }

  /**
   * A line of the machine's console (Runtime.console), its own stream in the stored log. Shown live
   * until the agent said Hello; after that the agent's own output is the job log and the console
   * only goes to the full log.
   */
  console(text: string): void {
    this.store.logs.append(this.jobId, [{ step: 0, stream: 'console', ts: Date.now(), text }]);
    if (!this.agentConnected) this.events.emit('job.log', { runId: this.runId, jobId: this.jobId, step: 0, lines: [text] });
  }

  /** A connection through the egress proxy, allowed or refused: its own stream, shown live. */
  egress(text: string): void {
    this.store.logs.append(this.jobId, [{ step: 0, stream: 'egress', ts: Date.now(), text }]);
    this.events.emit('job.log', { runId: this.runId, jobId: this.jobId, step: 0, lines: [text] });
  }

  /** A line from Helios itself (provisioning, teardown, timeouts) in the job log. */
  system(text: string): void {
    this.store.logs.append(this.jobId, [{ step: 0, stream: 'system', ts: Date.now(), text }]);
    this.events.emit('job.log', { runId: this.runId, jobId: this.jobId, step: 0, lines: [text] });
  }
}
