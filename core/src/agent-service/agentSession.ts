/**
 * One agent's Session stream, from Hello to the end of the call. Its parts:
 * - resume bookkeeping: Hello authenticates the job token, attaches the session to the job and
 *   answers Welcome with the last delivered seq (a resuming agent resends only what follows);
 *   resent messages are acknowledged again and dropped, a gap is a protocol error;
 * - read-ahead / flow control (ReadAhead): one message at a time into the job's sink;
 * - ack coalescing (AckCoalescer);
 * - the Hello watchdog (the service's heartbeat watchdog judges the session once attached, from
 *   `lastActivity`, which every message refreshes).
 */
import { HeliosError, isHeliosError } from '@helios-ci/sdk';
import type { AgentMessage__Output } from '@helios-ci/proto';
import { AckCoalescer } from './ackCoalescer.js';
import { toGrpcStatus } from './grpcStatus.js';
import type { JobState, Session, SessionCall } from './jobState.js';
import { PROTOCOL_VERSION } from './proto.js';
import { ReadAhead } from './readAhead.js';

export const HELLO_TIMEOUT_MS = 30_000;

/** What a session needs from the agent service. */
export interface SessionHost {
  readonly heartbeatIntervalMs: number;
  /** The job a token belongs to; throws a HeliosError saying why not. */
  authenticate(token: string): JobState;
  /** Ends the job's session: gracefully (err null) or with err's gRPC status. */
  closeSession(job: JobState, err: unknown | null): void;
  /** Ends the job as errored. */
  lose(job: JobState, reason: string): Promise<void>;
  /** Hands one job-state message to the job's sink. */
  deliver(job: JobState, seq: number, msg: AgentMessage__Output): Promise<void>;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export class AgentSession {
  private job: JobState | null = null;
  private session: Session | null = null;
  private readonly helloTimer: NodeJS.Timeout;
  private readonly acks: AckCoalescer;
  private readonly readAhead: ReadAhead<AgentMessage__Output>;

  constructor(
    private readonly call: SessionCall,
    private readonly host: SessionHost,
  ) {
    this.helloTimer = setTimeout(() => this.fail(new HeliosError('E_AGENT_PROTOCOL_INVALID', `no Hello within ${HELLO_TIMEOUT_MS / 1000} s of opening the session`)), HELLO_TIMEOUT_MS);
    this.helloTimer.unref();
    this.acks = new AckCoalescer(
      () => this.job?.lastSeq ?? 0,
      (seq) => {
        if (!this.session || this.session.closed) return false;
        call.write({ ack: { seq } });
        return true;
      },
    );
    this.readAhead = new ReadAhead<AgentMessage__Output>(call, (msg) => this.handle(msg), (err) => this.fail(err), () => this.session?.closed === true);
    call.on('cancelled', () => this.dropped('cancelled by the agent side'));
    call.on('error', (err: Error) => this.dropped(`failed: ${err.message}`));
    call.on('end', () => {
      // The agent half-closed; finish our side unless we are mid-job (then the drop is real).
      this.dropped('closed by the agent');
      if (!call.writableEnded) call.end();
    });
    call.on('data', (msg: AgentMessage__Output) => this.readAhead.push(msg));
  }

  /** This session is the job's current one. */
  private get current(): boolean {
    return !!this.job && !!this.session && this.job.session === this.session;
  }

  private fail(err: unknown): void {
    clearTimeout(this.helloTimer);
    if (this.current) {
      this.host.closeSession(this.job!, err);
    } else if (!this.session || !this.session.closed) {
      if (this.session) this.session.closed = true;
      this.call.emit('error', toGrpcStatus(err));
    }
    if (!isHeliosError(err)) this.host.warn('agent service: session failed', { jobId: this.job?.jobId, error: err });
  }

  /** The stream went away; the job stays registered so the agent can resume. */
  private dropped(what: string): void {
    clearTimeout(this.helloTimer);
    if (this.current) {
      this.session!.closed = true;
      this.job!.session = null;
      this.job!.lastDisconnect = what;
    }
  }

  private async handle(msg: AgentMessage__Output): Promise<void> {
    if (!this.job) {
      this.hello(msg);
      return;
    }
    const j = this.job;
    if (j.ended) return;
    forgetCloneCredential(j);
    j.lastActivity = Date.now();
    if (msg.body === 'heartbeat' || msg.body === 'hello') return;
    const seq = msg.seq;
    if (!(seq > 0)) throw new HeliosError('E_AGENT_PROTOCOL_INVALID', `message ${msg.body ?? '(empty)'} without a sequence number`);
    if (seq <= j.lastSeq) {
      // A resend of something already delivered: acknowledge again, deliver nothing.
      this.call.write({ ack: { seq: j.lastSeq } });
      return;
    }
    if (seq !== j.lastSeq + 1) {
      throw new HeliosError('E_AGENT_PROTOCOL_INVALID', `sequence gap: got ${seq} after ${j.lastSeq}; the agent lost messages`);
    }
    j.sinkBusy = true;
    try {
      await this.host.deliver(j, seq, msg);
    } catch (err) {
      j.sinkBusy = false;
      await this.host.lose(j, `the job sink failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    j.sinkBusy = false;
    j.lastActivity = Date.now();
    j.lastSeq = seq;
    if (this.session && !this.session.closed) this.acks.delivered(seq, msg.body === 'finished');
    if (msg.body === 'finished' && this.current) this.host.closeSession(j, null);
  }

  /** The first message: authenticate, attach to the job (fresh or resumed), answer Welcome. */
  private hello(msg: AgentMessage__Output): void {
    clearTimeout(this.helloTimer);
    if (msg.body !== 'hello' || !msg.hello) throw new HeliosError('E_AGENT_PROTOCOL_INVALID', 'the first message of a session must be Hello');
    const hello = msg.hello;
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      throw new HeliosError('E_AGENT_PROTOCOL_MISMATCH', `agent ${hello.agentVersion || '(unknown version)'} speaks protocol v${hello.protocolVersion}, this server speaks v${PROTOCOL_VERSION}; install the helios-agent bundle shipped with this server`);
    }
    const j = this.host.authenticate(hello.jobToken);
    if (j.session && !j.session.closed) {
      throw new HeliosError('E_AGENT_ALREADY_CONNECTED', `job ${j.jobId} already has a connected agent; one job token admits one agent at a time (a resumed agent retries once the old session is gone)`);
    }
    this.job = j;
    this.session = { call: this.call, closed: false };
    j.session = this.session;
    if (!j.everConnected) {
      try {
        void j.sink.onConnected?.();
      } catch {
        // Timing bookkeeping never refuses an agent.
      }
    }
    j.everConnected = true;
    j.lastActivity = Date.now();
    j.lastDisconnect = null;
    this.call.write({
      welcome: {
        protocolVersion: PROTOCOL_VERSION,
        jobSpecJson: JSON.stringify(j.spec),
        planVersion: j.spec.planVersion,
        ackedSeq: j.lastSeq,
        heartbeatIntervalMs: this.host.heartbeatIntervalMs,
        egressCredential: j.egressCredential,
      },
    });
    if (j.cancelReason !== null) this.call.write({ cancel: { reason: j.cancelReason } });
  }
}

/**
 * The agent has its Welcome (it speaks after it): the clone credential has served its one purpose,
 * and a later Welcome — a resume, or anyone else presenting the job token once user steps run — must
 * not carry it again. The caller's spec object is left alone; the job keeps a copy without it.
 */
function forgetCloneCredential(j: JobState): void {
  if (j.spec.repository.token === undefined) return;
  const { token: _dropped, ...repository } = j.spec.repository;
  j.spec = { ...j.spec, repository };
}
