/**
 * The gRPC server the job agents talk to (DESIGN §5, proto/helios/agent/v1/agent.proto).
 *
 * API for the orchestrator:
 *
 *   const service = new AgentService({ heartbeatTimeoutMs: 60_000 });
 *   const { endpoint } = await service.start();            // "127.0.0.1:41234"
 *   const handle = service.registerJob(spec, sink);         // before provisioning the machine
 *   runtime.provision({ ..., agent: { endpoint, token: handle.token } });
 *   const conclusion = await handle.done;                   // never rejects
 *   handle.cancel('cancelled by octocat');                  // any time, idempotent
 *   await service.stop();
 *
 * - `registerJob(spec: JobSpec, sink: JobSink, options?: RegisterJobOptions): JobHandle` — mints a
 *   random 256-bit token bound to that one job. The token is refused (UNAUTHENTICATED, clear message)
 *   once the job ended or its max age passed, and a second live session with it is refused
 *   (ALREADY_EXISTS). A dropped session may be resumed with the same token (Hello.resume).
 * - The sink gets the job's events in order, one call at a time; while a sink promise is pending
 *   the service stops reading from that agent (HTTP/2 flow control then stalls the agent, which
 *   stops reading the step's pipe) — memory per job stays bounded by a few messages.
 * - No message from the agent for `heartbeatTimeoutMs` (while the sink is idle) → `sink.onLost`,
 *   `done` → 'errored'.
 * - Every string reaching the sink is masked with the job's secret values (the agent masks first;
 *   this is defence in depth against a broken or hostile agent).
 * - Caches and artifacts (UploadCache, RestoreCache, UploadArtifact, DownloadArtifact, ListArtifacts)
 *   go to `options.blobs` (blobRpcs.ts); without it they answer UNIMPLEMENTED.
 * - FetchAction serves the tar of a remote action the job's plan names from `options.actionTrees`
 *   (actionRpc.ts); without it, or when it lacks the tree, NOT_FOUND says so.
 */
import { jobTokenHash } from './jobTokenHash.js';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HeliosError, PLAN_VERSION, SecretMasker, type JobSpec } from '@helios-ci/sdk';
import type { AgentMessage__Output } from '@helios-ci/proto';
import { AgentSession, type SessionHost } from './agentSession.js';
import { actionRpcHandlers } from './actionRpc.js';
import type { ActionTreeSource } from './actionTreeSource.js';
import { blobRpcHandlers } from './blobRpcs.js';
import { toGrpcStatus } from './grpcStatus.js';
import { lostReason, watchdogTickMs } from './heartbeatWatchdog.js';
import { decodeLogLines } from './logLines.js';
import type { JobState, SessionCall } from './jobState.js';
import { agentServiceDefinition, PROTOCOL_VERSION } from './proto.js';
import type {
  AdoptJobOptions,
  AgentServiceOptions,
  JobConclusion,
  JobBlobs,
  JobHandle,
  JobSink,
  LogStream,
  RegisterJobOptions,
  StepResult,
} from './types.js';

const CONCLUSIONS = new Set<JobConclusion>(['success', 'failure', 'cancelled', 'timed_out', 'errored']);
const STEP_RESULTS = new Set<StepResult>(['success', 'failure', 'cancelled', 'skipped']);
const STREAMS: Record<string, LogStream> = { STDOUT: 'stdout', STDERR: 'stderr', SYSTEM: 'system' };
const MAX_TOMBSTONES = 10_000;

const hashToken = jobTokenHash;
export { jobTokenHash };

/**
 * HTTP/2 receive window for agent streams. grpc-js servers keep Node's 64 KiB default, which caps a
 * log stream at one window per round trip between two busy event loops (about 60 MB/s here, well
 * under what a step can print); a wider window lets output flow while acks and window updates are
 * in flight. Memory stays bounded by the agent's unacknowledged-bytes limit and MAX_QUEUED_MESSAGES.
 */
const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * grpc-js has no server option for the window (its client has `grpc-node.flow_control_window`),
 * so the http2 settings object it passes to http2.createServer is extended before bind. Checked
 * against the pinned grpc-js version; if its internals change, this does nothing and only speed suffers.
 */
function widenReceiveWindow(server: grpc.Server): void {
  const internals = server as unknown as { commonServerOptions?: { settings?: Record<string, unknown> } };
  if (!internals.commonServerOptions) return;
  internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: RECEIVE_WINDOW_BYTES };
}

/** The connection-level window is per session: widen it as each agent connects. */
function widenSessionWindows(server: grpc.Server): void {
  const internals = server as unknown as { http2Servers?: Map<{ on(event: 'session', fn: (s: { setLocalWindowSize?(n: number): void }) => void): void }, unknown> };
  for (const http2Server of internals.http2Servers?.keys() ?? []) {
    http2Server.on('session', (session) => {
      try {
        session.setLocalWindowSize?.(RECEIVE_WINDOW_BYTES);
      } catch {
        /* an older Node without setLocalWindowSize: default window */
      }
    });
  }
}

export class AgentService {
  private readonly opts: Required<Omit<AgentServiceOptions, 'blobs' | 'actionTrees' | 'onWarning' | 'connectTimeoutMs' | 'advertise' | 'awaitAdoptions'>> & {
    connectTimeoutMs: number | null;
  };
  private readonly blobs: JobBlobs | null;
  private readonly actionTrees: ActionTreeSource | null;
  private readonly warn: NonNullable<AgentServiceOptions['onWarning']>;
  private readonly jobs = new Map<string, JobState>();
  /** token hash → why it no longer works, so a refused agent learns "expired"/"finished", not just "unknown". */
  private readonly tombstones = new Map<string, string>();
  private server: grpc.Server | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private boundEndpoint: string | null = null;
  private readonly advertise: string | null;
  private boundPort = 0;
  private readonly sessionHost: SessionHost;
  /** Until adoptionsDone(): an unknown token may belong to a job not yet re-adopted, so it is told to retry. */
  private adopting: boolean;

  constructor(options: AgentServiceOptions = {}) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 5_000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs === undefined ? 15 * 60_000 : options.connectTimeoutMs,
      tokenTtlMs: options.tokenTtlMs ?? 24 * 3600_000,
      maxMessageBytes: options.maxMessageBytes ?? 4 * 1024 * 1024,
    };
    if (this.opts.heartbeatTimeoutMs <= this.opts.heartbeatIntervalMs) {
      throw new HeliosError('E_CONFIG_INVALID', `agent service: heartbeatTimeoutMs (${this.opts.heartbeatTimeoutMs}) must exceed heartbeatIntervalMs (${this.opts.heartbeatIntervalMs}); use at least 3x the interval`);
    }
    this.advertise = options.advertise ?? null;
    this.adopting = options.awaitAdoptions ?? false;
    this.blobs = options.blobs ?? null;
    this.actionTrees = options.actionTrees ?? null;
    this.warn = options.onWarning ?? (() => undefined);
    this.sessionHost = {
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      authenticate: (token) => this.authenticate(token),
      closeSession: (job, err) => this.closeSession(job, err),
      lose: (job, reason) => this.lose(job, reason),
      deliver: (job, seq, msg) => this.deliver(job, seq, msg),
      warn: (message, fields) => this.warn(message, fields),
    };
  }

  /** `host:port` agents should dial (the advertised one when set); only valid after start(). */
  get endpoint(): string {
    if (!this.boundEndpoint) throw new HeliosError('E_KERNEL_STATE', 'agent service: endpoint read before start(); await start() first');
    return this.boundEndpoint;
  }

  async start(): Promise<{ endpoint: string; port: number }> {
    if (this.server) return { endpoint: this.endpoint, port: this.boundPort };
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.opts.maxMessageBytes,
      // Agents behind NAT keep long idle sessions; let them ping.
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    });
    widenReceiveWindow(server);
    server.addService(agentServiceDefinition(), {
      Session: (call: SessionCall) => this.onSession(call),
      ...blobRpcHandlers({ authenticate: (token) => this.authenticate(token), blobs: this.blobs }),
      ...actionRpcHandlers({ authenticate: (token) => this.authenticate(token), actionTrees: this.actionTrees }),
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${this.opts.host}:${this.opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(new HeliosError('E_LISTEN_FAILED', `agent service cannot listen on ${this.opts.host}:${this.opts.port}: ${err.message}; pick another port or free this one`, { cause: err })) : resolve(p),
      );
    });
    this.server = server;
    widenSessionWindows(server);
    const host = this.opts.host.includes(':') && !this.opts.host.startsWith('[') ? `[${this.opts.host}]` : this.opts.host;
    this.boundPort = port;
    this.boundEndpoint = this.advertise ?? `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    this.watchdog = setInterval(() => this.checkLiveness(), watchdogTickMs(this.opts.heartbeatTimeoutMs));
    this.watchdog.unref();
    return { endpoint: this.boundEndpoint, port };
  }

  /** Stops listening; jobs still registered are ended as errored (their sinks get onLost). Idempotent. */
  async stop(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    for (const job of [...this.jobs.values()]) await this.lose(job, 'the agent service stopped');
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2_000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  registerJob(spec: JobSpec, sink: JobSink, options: RegisterJobOptions = {}): JobHandle {
    if (spec.planVersion !== PLAN_VERSION) {
      throw new HeliosError('E_PLAN_VERSION_INVALID', `job ${spec.jobId}: plan version ${String(spec.planVersion)} is not ${PLAN_VERSION}; re-plan the run with this server`);
    }
    for (const job of this.jobs.values()) {
      if (job.jobId === spec.jobId) throw new HeliosError('E_CONFLICT', `job ${spec.jobId} is already registered with the agent service; wait for its done promise before registering it again`);
    }
    const token = randomBytes(32).toString('base64url');
    const tokenHash = hashToken(token);
    const egressCredential = options.egressCredentialFor ? options.egressCredentialFor(tokenHash) : (options.egressCredential ?? '');
    const redactor = new SecretMasker();
    for (const value of Object.values(spec.secrets)) redactor.add(value);
    if (spec.repository.token) redactor.add(spec.repository.token);
    if (egressCredential) redactor.add(egressCredential);
    let resolve!: (c: JobConclusion) => void;
    const done = new Promise<JobConclusion>((r) => (resolve = r));
    const now = Date.now();
    const job: JobState = {
      jobId: spec.jobId,
      tokenHash,
      spec,
      egressCredential,
      sink,
      redactor,
      registeredAt: now,
      expiresAt: now + (options.tokenTtlMs ?? this.opts.tokenTtlMs),
      session: null,
      everConnected: false,
      lastSeq: 0,
      lastActivity: now,
      sinkBusy: false,
      ended: false,
      cancelReason: null,
      lastDisconnect: null,
      resolve,
    };
    this.jobs.set(tokenHash, job);
    return { jobId: spec.jobId, token, done, cancel: (reason: string) => this.cancel(job, reason), lose: (reason: string) => void this.lose(job, reason) };
  }

  /**
   * A job a previous process of this server registered, whose agent may still be running (control
   * restarted while a worker's machine ran it): the job is registered again under the same token
   * hash with the last seq that process delivered, as if its session had just dropped. The agent's
   * resume (Hello.resume) then gets Welcome with that `ackedSeq` and resends only what follows; an
   * agent that does not come back within heartbeatTimeoutMs is lost (sink.onLost, done = errored).
   * The handle's token is empty: the token was never kept, only its hash.
   */
  adoptJob(spec: JobSpec, sink: JobSink, adopted: AdoptJobOptions): JobHandle {
    if (spec.planVersion !== PLAN_VERSION) {
      throw new HeliosError('E_PLAN_VERSION_INVALID', `job ${spec.jobId}: plan version ${String(spec.planVersion)} is not ${PLAN_VERSION}; re-plan the run with this server`);
    }
    if (!/^[0-9a-f]{64}$/.test(adopted.tokenHash)) throw new HeliosError('E_CONFIG_INVALID', `job ${spec.jobId}: ${JSON.stringify(adopted.tokenHash)} is not a job token hash (64 hex digits, from jobTokenHash)`);
    if (!Number.isInteger(adopted.lastSeq) || adopted.lastSeq < 0) throw new HeliosError('E_CONFIG_INVALID', `job ${spec.jobId}: lastSeq ${adopted.lastSeq} must be a whole number >= 0`);
    for (const job of this.jobs.values()) {
      if (job.jobId === spec.jobId) throw new HeliosError('E_CONFLICT', `job ${spec.jobId} is already registered with the agent service; wait for its done promise before adopting it`);
    }
    const redactor = new SecretMasker();
    for (const value of Object.values(spec.secrets)) redactor.add(value);
    // The clone credential served its purpose in the previous process; a resume never carries it.
    const { token: _dropped, ...repository } = spec.repository;
    let resolve!: (c: JobConclusion) => void;
    const done = new Promise<JobConclusion>((r) => (resolve = r));
    const now = Date.now();
    const job: JobState = {
      jobId: spec.jobId,
      tokenHash: adopted.tokenHash,
      spec: { ...spec, repository },
      egressCredential: adopted.egressCredential ?? '',
      sink,
      redactor,
      registeredAt: now,
      expiresAt: adopted.expiresAt ?? now + this.opts.tokenTtlMs,
      session: null,
      everConnected: true,
      lastSeq: adopted.lastSeq,
      // The heartbeat watchdog counts the agent's absence from now: it has heartbeatTimeoutMs to resume.
      lastActivity: now,
      sinkBusy: false,
      ended: false,
      cancelReason: null,
      lastDisconnect: 'the server restarted',
      resolve,
    };
    this.tombstones.delete(adopted.tokenHash);
    this.jobs.set(adopted.tokenHash, job);
    return { jobId: spec.jobId, token: '', done, cancel: (reason: string) => this.cancel(job, reason), lose: (reason: string) => void this.lose(job, reason) };
  }

  /** The restarted server re-adopted every job it still runs: unknown tokens are refused from now on. */
  adoptionsDone(): void {
    this.adopting = false;
  }

  /** Jobs currently registered (for tests and the status page). */
  activeJobs(): { jobId: string; connected: boolean; lastSeq: number }[] {
    return [...this.jobs.values()].map((j) => ({ jobId: j.jobId, connected: !!j.session && !j.session.closed, lastSeq: j.lastSeq }));
  }

  private cancel(job: JobState, reason: string): void {
    if (job.ended || job.cancelReason !== null) return;
    job.cancelReason = reason;
    if (job.session && !job.session.closed) {
      job.session.call.write({ cancel: { reason } });
    } else if (!job.everConnected) {
      // Nothing runs yet: the job ends here; the orchestrator tears the machine down.
      void this.finish(job, { conclusion: 'cancelled', outputs: {}, reason });
    }
    // Connected before but not now: the Cancel goes out when the agent resumes, or the heartbeat
    // watchdog ends the job.
  }

  private checkLiveness(): void {
    const now = Date.now();
    const limits = { heartbeatTimeoutMs: this.opts.heartbeatTimeoutMs, connectTimeoutMs: this.opts.connectTimeoutMs, endpoint: this.boundEndpoint };
    for (const job of this.jobs.values()) {
      const reason = lostReason(job, now, limits);
      if (reason !== null) void this.lose(job, reason);
    }
  }

  private async lose(job: JobState, reason: string): Promise<void> {
    if (job.ended) return;
    this.endJob(job, 'errored', 'finished as errored');
    this.closeSession(job, new HeliosError('E_CANCELLED', `job ${job.jobId} ended: ${reason}`));
    try {
      await job.sink.onLost(job.redactor.mask(reason));
    } catch (err) {
      this.warn('agent service: sink.onLost failed', { jobId: job.jobId, error: err });
    }
  }

  private async finish(job: JobState, event: { conclusion: JobConclusion; outputs: Record<string, string>; reason: string | null }): Promise<void> {
    if (job.ended) return;
    this.endJob(job, event.conclusion, 'finished');
    try {
      await job.sink.onFinished(event);
    } catch (err) {
      this.warn('agent service: sink.onFinished failed', { jobId: job.jobId, error: err });
    }
  }

  private endJob(job: JobState, conclusion: JobConclusion, why: string): void {
    job.ended = true;
    this.jobs.delete(job.tokenHash);
    this.tombstone(job.tokenHash, `the job this token belongs to has ${why}; a job token works for one run of one job only`);
    job.resolve(conclusion);
  }

  private tombstone(hash: string, reason: string): void {
    this.tombstones.set(hash, reason);
    if (this.tombstones.size > MAX_TOMBSTONES) this.tombstones.delete(this.tombstones.keys().next().value as string);
  }

  private closeSession(job: JobState, err: unknown | null): void {
    const s = job.session;
    job.session = null;
    if (!s || s.closed) return;
    s.closed = true;
    if (err === null) {
      if (!s.call.writableEnded) s.call.end();
    } else {
      s.call.emit('error', toGrpcStatus(err));
    }
  }

  /** Validates a token for a new session or upload; throws a HeliosError saying what is wrong. */
  private authenticate(token: string): JobState {
    if (!token) throw new HeliosError('E_AGENT_TOKEN_INVALID', 'no job token in Hello; start the agent with --token, --bootstrap or HELIOS_AGENT_TOKEN');
    const hash = hashToken(token);
    const job = this.jobs.get(hash);
    if (!job) {
      const tomb = this.tombstones.get(hash);
      if (tomb) throw new HeliosError('E_AGENT_TOKEN_EXPIRED', `job token refused: ${tomb}`);
      if (this.adopting) throw new HeliosError('E_UNAVAILABLE', 'the server is starting and has not re-adopted its running jobs yet; retry in a moment');
      throw new HeliosError('E_AGENT_TOKEN_INVALID', 'job token refused: it is not a token this server issued (or the server restarted); the orchestrator must provision a new machine with a fresh token');
    }
    if (Date.now() > job.expiresAt) {
      throw new HeliosError('E_AGENT_TOKEN_EXPIRED', `job token refused: it expired ${Math.round((Date.now() - job.expiresAt) / 1000)} s ago (max age reached); re-run the job to get a fresh one`);
    }
    return job;
  }

  private onSession(call: SessionCall): void {
    // The session lives on through the listeners it puts on the call.
    new AgentSession(call, this.sessionHost);
  }

  private async deliver(job: JobState, seq: number, msg: AgentMessage__Output): Promise<void> {
    const r = job.redactor;
    switch (msg.body) {
      case 'log': {
        const l = msg.log!;
        const { text, lines } = typeof l.lines === 'string' ? textLines(r.mask(l.lines), l.lineCount) : decodeLogLines(l.lines, l.lineCount, r);
        await job.sink.onLog({ seq, step: l.step, stream: STREAMS[l.stream] ?? 'stdout', ts: l.ts, lines, text });
        return;
      }
      case 'stepStarted': {
        const s = msg.stepStarted!;
        await job.sink.onStepStarted({ seq, step: s.step, name: r.mask(s.name), parent: s.parent || null, ts: s.ts });
        return;
      }
      case 'stepFinished': {
        const s = msg.stepFinished!;
        await job.sink.onStepFinished({
          seq,
          step: s.step,
          exit: s.exit < 0 ? null : s.exit,
          outcome: asStepResult(s.outcome),
          conclusion: asStepResult(s.conclusion),
          outputs: r.maskDeep(s.outputs),
          summary: s.summary ? r.mask(s.summary) : null,
          ts: s.ts,
        });
        return;
      }
      case 'annotation': {
        const a = msg.annotation!;
        const level = a.level === 'error' || a.level === 'warning' ? a.level : 'notice';
        await job.sink.onAnnotation({
          seq,
          step: a.step,
          level,
          message: r.mask(a.message),
          title: a.title ? r.mask(a.title) : null,
          file: a.file ? r.mask(a.file) : null,
          line: a.line || null,
          col: a.col || null,
          endLine: a.endLine || null,
          endColumn: a.endColumn || null,
        });
        return;
      }
      case 'finished': {
        const f = msg.finished!;
        const conclusion = CONCLUSIONS.has(f.conclusion as JobConclusion) ? (f.conclusion as JobConclusion) : 'errored';
        await this.finish(job, { conclusion, outputs: r.maskDeep(f.outputs), reason: f.reason ? r.mask(f.reason) : null });
        return;
      }
      default:
        throw new HeliosError('E_AGENT_PROTOCOL_INVALID', `unknown agent message ${String(msg.body)}; is the agent newer than this server?`);
    }
  }
}

function textLines(text: string, lineCount: number): { text: string; lines: string[] } {
  return { text, lines: lineCount === 0 ? [] : text.split('\n') };
}

function asStepResult(value: string): StepResult {
  return STEP_RESULTS.has(value as StepResult) ? (value as StepResult) : 'failure';
}
