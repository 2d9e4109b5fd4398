/**
 * The agent's side of the Session stream: sequencing, acknowledgements, resending after a dropped
 * stream, heartbeats, flow control, and log batching.
 *
 * Every job-state message gets the next seq and stays in `unacked` until the server's cumulative Ack
 * covers it. When the stream drops, the agent reconnects (Hello.resume), learns the server's last
 * processed seq from Welcome.ackedSeq and resends only the rest, in order — the server drops any seq
 * it has already seen, so nothing is lost or duplicated.
 */
import * as grpc from '@grpc/grpc-js';
import type { AgentMessage, Annotation, Finished, ServerMessage__Output, StepFinished, StepStarted, Welcome__Output } from '@helios-ci/proto';
import { loadAgentClient, PROTOCOL_VERSION } from './protocol.js';
import { AckTracker } from './session/ackTracker.js';
import { LogBatcher, type LogBody, type WireStream } from './session/logBatcher.js';
import { ResendBuffer } from './session/resendBuffer.js';
import { WireBuffers } from './session/wireBuffers.js';
import { StorageRpc, type StorageMethods } from './storage/storageRpc.js';

export const AGENT_VERSION = '0.1.0';

export type { WireStream };

/** The Welcome as the agent receives it (agent.proto, generated in @helios-ci/proto). */
export type Welcome = Welcome__Output;

/** One job-state message body (agent.proto's AgentMessage oneof), as the agent sends it. */
type Body = { log: LogBody } | { stepStarted: StepStarted } | { stepFinished: StepFinished } | { annotation: Annotation } | { finished: Finished };

type Call = grpc.ClientDuplexStream<AgentMessage, ServerMessage__Output>;

/** A refusal that retrying cannot fix (bad token, protocol mismatch). */
export class FatalConnectionError extends Error {}

export interface ConnectionOptions {
  endpoint: string;
  token: string;
  /** Give up reconnecting after this long without a session (ms). */
  reconnectWindowMs: number;
  /** Largest log batch (bytes); see LogBatcher. */
  batchBytes: number;
  /** Longest a log line waits before its batch is sent. */
  batchDelayMs: number;
  /** Above this many unacknowledged bytes the agent stops reading step output. */
  maxUnackedBytes: number;
  diagnostics: (message: string) => void;
}

const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.ALREADY_EXISTS, grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.RESOURCE_EXHAUSTED]);

export class Connection {
  private readonly client: grpc.Client & { Session(): Call };
  private call: Call | null = null;
  /** Seq numbering and what the server has not acknowledged yet. */
  private readonly resend = new ResendBuffer<Body>();
  private readonly acks = new AckTracker();
  private readonly batcher: LogBatcher;
  /** Encoded log messages' memory, lent per write (see WireBuffers). */
  private readonly wire = new WireBuffers();
  private writable = true;
  private waiters: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | null = null;
  private heartbeatMs = 5_000;
  private closing = false;
  private reconnecting = false;
  private fatal: Error | null = null;
  /** Seq of the Finished message; once acknowledged the server ends the stream and that is no drop. */
  private finishSeq = Infinity;
  /** Seq of the last message enqueued (allAcked waits for it). */
  private lastEnqueued = 0;
  private fatalHandlers: ((err: Error) => void)[] = [];
  onCancel: (reason: string) => void = () => undefined;

  constructor(private readonly opts: ConnectionOptions) {
    this.batcher = new LogBatcher(opts, (log, bytes) => this.enqueue({ log }, bytes));
    const Client = loadAgentClient(this.wire);
    this.client = new Client(opts.endpoint, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 2_000,
    }) as unknown as grpc.Client & { Session(): Call };
  }

  /** The cache and artifact RPCs, on the same channel and with the same job token as the session. */
  storage(signal?: AbortSignal): StorageRpc {
    return new StorageRpc(this.client as unknown as StorageMethods, this.opts.token, signal);
  }

  /** Opens the first session; resolves with the Welcome (the job spec). */
  async open(): Promise<Welcome> {
    return this.connectWithRetry(false);
  }

  /**
   * True while output reading should pause: too much unacknowledged, or disconnected. A full HTTP/2
   * send buffer alone does not pause — the unacknowledged bound already caps memory, and pausing on
   * every full 64 KB window would make throughput a function of round trips.
   */
  get congested(): boolean {
    return this.resend.bytes > this.opts.maxUnackedBytes || this.call === null;
  }

  /** Resolves when `congested` is false again (or the connection failed for good). */
  whenClear(): Promise<void> {
    if (!this.congested || this.fatal) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  onFatal(handler: (err: Error) => void): void {
    this.fatalHandlers.push(handler);
  }

  // ---- log batching ---------------------------------------------------------------------------

  /** Appends complete, masked lines (joined by "\n"; UTF-8 bytes or text) to the open batch. */
  log(step: string, stream: WireStream, data: string | Buffer, lineCount: number): void {
    this.batcher.add(step, stream, data, lineCount);
  }

  flushLog(): void {
    this.batcher.flush();
  }

  // ---- other events (each flushes pending log lines first, to keep the order) ------------------

  send(body: Exclude<Body, { log: unknown }>): void {
    this.flushLog();
    this.enqueue(body, 256);
  }

  /**
   * Waits until the server acknowledged every message sent so far (or timeoutMs passed, or the
   * session failed); true when acknowledged. The server delays an ack while it works on the machine.
   */
  async allAcked(timeoutMs: number): Promise<boolean> {
    this.flushLog();
    const seq = this.lastEnqueued;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.acks.whenAcked(seq, () => {
        clearTimeout(timer);
        resolve(true);
      });
      this.onFatal(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  /** Sends Finished and waits until the server acknowledged it (or timeoutMs passed). */
  async finish(finished: { conclusion: string; outputs: Record<string, string>; reason: string }, timeoutMs: number): Promise<boolean> {
    this.flushLog();
    const seq = this.enqueue({ finished }, 256);
    this.finishSeq = seq;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.acks.whenAcked(seq, done);
      this.onFatal(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    this.close();
    return ok;
  }

  close(): void {
    this.closing = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.batcher.stop();
    const call = this.call;
    this.call = null;
    if (call) {
      call.end();
      // Give the half-close a moment to reach the server, then let the process exit.
      setTimeout(() => call.cancel(), 200).unref();
    }
    setTimeout(() => this.client.close(), 250).unref();
  }

  private enqueue(body: Body, bytes: number): number {
    const { seq, msg } = this.resend.add(body, bytes);
    this.lastEnqueued = seq;
    if (this.call) this.write(msg);
    return seq;
  }

  private write(msg: AgentMessage): void {
    const call = this.call;
    if (!call) return;
    if (!call.write(msg, () => this.wire.release(msg)) && this.writable) {
      this.writable = false;
      call.once('drain', () => {
        if (this.call !== call) return;
        this.writable = true;
        this.wake();
      });
    }
  }

  private wake(): void {
    if (this.congested && !this.fatal) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private onAck(seq: number): void {
    if (!this.acks.advance(seq)) return;
    if (seq >= this.finishSeq) this.closing = true;
    this.resend.release(seq);
    this.wake();
  }

  private async connectWithRetry(resume: boolean): Promise<Welcome> {
    const deadline = Date.now() + this.opts.reconnectWindowMs;
    let delay = 100;
    for (;;) {
      try {
        return await this.connectOnce(resume);
      } catch (err) {
        if (err instanceof FatalConnectionError || Date.now() > deadline || this.closing) throw err;
        this.opts.diagnostics(`helios-agent: session to ${this.opts.endpoint} failed (${(err as Error).message}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }

  private connectOnce(resume: boolean): Promise<Welcome> {
    return new Promise<Welcome>((resolve, reject) => {
      const call = this.client.Session();
      let welcomed = false;
      call.on('data', (msg: ServerMessage__Output) => {
        if (msg.body === 'welcome' && msg.welcome && !welcomed) {
          welcomed = true;
          const w = msg.welcome;
          this.wire.reset();
          this.call = call;
          this.writable = true;
          this.heartbeatMs = w.heartbeatIntervalMs || 5_000;
          this.startHeartbeat();
          this.onAck(w.ackedSeq);
          // Resend what the server has not processed, in order (it drops duplicates by seq anyway).
          for (const p of this.resend.pending()) this.write(p.msg);
          this.wake();
          resolve(w);
        } else if (msg.body === 'ack' && msg.ack) {
          this.onAck(msg.ack.seq);
        } else if (msg.body === 'cancel' && msg.cancel) {
          this.onCancel(msg.cancel.reason);
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (!welcomed) {
          const fatal = err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.FAILED_PRECONDITION || err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.INVALID_ARGUMENT;
          reject(fatal || !RETRYABLE.has(err.code) ? new FatalConnectionError(err.details || err.message) : err);
          return;
        }
        this.dropped(call, err);
      });
      call.on('end', () => {
        if (!welcomed) reject(new Error('the server closed the session before Welcome'));
        else this.dropped(call, null);
      });
      call.write({ hello: { jobToken: this.opts.token, agentVersion: AGENT_VERSION, protocolVersion: PROTOCOL_VERSION, resume } });
    });
  }

  private dropped(call: Call, err: grpc.ServiceError | null): void {
    if (this.call !== call) return;
    this.call = null;
    this.wire.reset();
    this.writable = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.closing) return;
    if (err && (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.FAILED_PRECONDITION)) {
      this.fail(new FatalConnectionError(err.details || err.message));
      return;
    }
    this.opts.diagnostics(`helios-agent: session dropped (${err ? err.details || err.message : 'closed by the server'}); reconnecting`);
    if (this.reconnecting) return;
    this.reconnecting = true;
    this.connectWithRetry(true).then(
      () => {
        this.reconnecting = false;
      },
      (e: Error) => {
        this.reconnecting = false;
        this.fail(e);
      },
    );
  }

  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    for (const h of this.fatalHandlers) h(err);
    this.wake();
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (this.call) this.call.write({ heartbeat: { ts: Date.now() } });
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }
}
