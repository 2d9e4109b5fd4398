/**
 * An in-test gRPC server for the agent's storage RPCs: the five storage methods over in-memory maps,
 * and the Session forwarded to the real core AgentService (so jobs run exactly as in e2e.test.ts).
 * It matches caches the way agent.proto describes (primary key exactly, then each key as a prefix,
 * newest first; same version only), keeps entries immutable and artifacts per run.
 */
import * as grpc from '@grpc/grpc-js';
import { agentClientConstructor, agentServiceDefinition } from '@helios-ci/core';
import { PROTOCOL_VERSION, type AgentMessage__Output, type ArtifactQuery__Output, type CacheQuery__Output, type DownloadChunk, type ServerMessage__Output, type UploadChunk__Output, type UploadHeader__Output } from '@helios-ci/proto';

export interface CacheEntry {
  key: string;
  version: string;
  data: Buffer;
  seq: number;
}

interface JobInfo {
  runId: string;
}

const SEND_CHUNK = 64 * 1024;

export class StorageTestServer {
  readonly caches: CacheEntry[] = [];
  /** runId → artifact name → zip bytes. */
  readonly artifacts = new Map<string, Map<string, Buffer>>();
  readonly uploads: { method: string; header: UploadHeader__Output; bytes: number; maxChunk: number }[] = [];
  readonly restoreQueries: CacheQuery__Output[] = [];
  /** Restores of these keys send half the announced bytes, then end the call normally. */
  readonly cutOff = new Set<string>();
  /** Restores of these keys send the header and then nothing, never ending the call. */
  readonly stall = new Set<string>();
  private readonly jobs = new Map<string, JobInfo>();
  private seq = 0;
  private server: grpc.Server | null = null;
  endpoint = '';

  constructor(private readonly upstreamEndpoint: string) {}

  /** Lets `token` use the storage RPCs as a job of `runId`. */
  allow(token: string, runId: string): void {
    this.jobs.set(token, { runId });
  }

  putCache(key: string, version: string, data: Buffer): void {
    this.caches.push({ key, version, data, seq: ++this.seq });
  }

  putArtifact(runId: string, name: string, data: Buffer): void {
    if (!this.artifacts.has(runId)) this.artifacts.set(runId, new Map());
    this.artifacts.get(runId)!.set(name, data);
  }

  async start(): Promise<string> {
    const Client = agentClientConstructor();
    const upstream = new Client(this.upstreamEndpoint, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Session(): grpc.ClientDuplexStream<AgentMessage__Output, ServerMessage__Output> };
    const server = new grpc.Server();
    server.addService(agentServiceDefinition(), {
      Session: (call: grpc.ServerDuplexStream<AgentMessage__Output, ServerMessage__Output>) => {
        const up = upstream.Session();
        call.on('data', (m: AgentMessage__Output) => up.write(m));
        call.on('end', () => up.end());
        call.on('cancelled', () => up.cancel());
        call.on('error', () => up.cancel());
        up.on('data', (m: ServerMessage__Output) => call.write(m));
        up.on('end', () => call.end());
        up.on('error', (err: grpc.ServiceError) => call.emit('error', { code: err.code, details: err.details }));
      },
      UploadCache: (call: grpc.ServerReadableStream<UploadChunk__Output, unknown>, cb: grpc.sendUnaryData<unknown>) => this.onUpload('UploadCache', call, cb),
      UploadArtifact: (call: grpc.ServerReadableStream<UploadChunk__Output, unknown>, cb: grpc.sendUnaryData<unknown>) => this.onUpload('UploadArtifact', call, cb),
      RestoreCache: (call: grpc.ServerWritableStream<CacheQuery__Output, DownloadChunk>) => this.onRestore(call),
      DownloadArtifact: (call: grpc.ServerWritableStream<ArtifactQuery__Output, DownloadChunk>) => this.onDownload(call),
      ListArtifacts: (call: grpc.ServerUnaryCall<ArtifactQuery__Output, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const job = this.auth(call.request.jobToken, call.request.protocolVersion);
        if (!job) return cb(this.failWith ?? { code: grpc.status.UNAUTHENTICATED, details: 'unknown job token' });
        const run = this.artifacts.get(job.runId) ?? new Map<string, Buffer>();
        cb(null, { artifacts: [...run].map(([name, data]) => ({ name, size: data.length })) });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    this.server = server;
    this.endpoint = `127.0.0.1:${port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  /** While set, every storage call fails with this status (a server without storage, an outage). */
  failWith: { code: grpc.status; details: string } | null = null;

  private auth(token: string, protocolVersion: number): JobInfo | null {
    if (this.failWith) return null;
    if (protocolVersion !== PROTOCOL_VERSION) return null;
    return this.jobs.get(token) ?? null;
  }

  private onUpload(method: string, call: grpc.ServerReadableStream<UploadChunk__Output, unknown>, cb: grpc.sendUnaryData<unknown>): void {
    let header: UploadHeader__Output | null = null;
    const parts: Buffer[] = [];
    let maxChunk = 0;
    let failed = false;
    call.on('data', (m: UploadChunk__Output) => {
      if (failed) return;
      if (!header) {
        if (m.body !== 'header' || !m.header || !this.auth(m.header.jobToken, m.header.protocolVersion)) {
          failed = true;
          cb(this.failWith ?? { code: grpc.status.UNAUTHENTICATED, details: 'the first message must be a header with a known job token' });
          return;
        }
        header = m.header;
        return;
      }
      maxChunk = Math.max(maxChunk, m.data!.length);
      parts.push(m.data!);
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (failed || !header) return;
      const data = Buffer.concat(parts);
      this.uploads.push({ method, header, bytes: data.length, maxChunk });
      const job = this.auth(header.jobToken, header.protocolVersion)!;
      if (method === 'UploadCache') {
        if (this.caches.some((c) => c.key === header!.name && c.version === header!.version)) {
          cb(null, { size: data.length, stored: false, reason: `cache entry ${header.name} already exists` });
          return;
        }
        this.putCache(header.name, header.version, data);
      } else {
        if (this.artifacts.get(job.runId)?.has(header.name) && !header.overwrite) {
          cb(null, { size: data.length, stored: false, reason: `an artifact named ${header.name} already exists in this run` });
          return;
        }
        this.putArtifact(job.runId, header.name, data);
      }
      cb(null, { size: data.length, stored: true, reason: '' });
    });
  }

  private match(keys: string[], version: string): CacheEntry | null {
    const candidates = this.caches.filter((c) => c.version === version).sort((a, b) => b.seq - a.seq);
    const exact = candidates.find((c) => c.key === keys[0]);
    if (exact) return exact;
    for (const key of keys) {
      const hit = candidates.find((c) => c.key.startsWith(key));
      if (hit) return hit;
    }
    return null;
  }

  private onRestore(call: grpc.ServerWritableStream<CacheQuery__Output, DownloadChunk>): void {
    const q = call.request;
    if (!this.auth(q.jobToken, q.protocolVersion)) return void call.emit('error', this.failWith ?? { code: grpc.status.UNAUTHENTICATED, details: 'unknown job token' });
    this.restoreQueries.push(q);
    const entry = this.match(q.keys, q.version);
    if (!entry) {
      call.write({ header: { found: false, name: '', size: 0, exact: false } });
      return void call.end();
    }
    call.write({ header: { found: true, name: entry.key, size: entry.data.length, exact: entry.key === q.keys[0] } });
    if (q.lookupOnly) return void call.end();
    if (this.stall.has(entry.key)) return;
    const data = this.cutOff.has(entry.key) ? entry.data.subarray(0, Math.floor(entry.data.length / 2)) : entry.data;
    void this.send(call, data);
  }

  private onDownload(call: grpc.ServerWritableStream<ArtifactQuery__Output, DownloadChunk>): void {
    const q = call.request;
    const job = this.auth(q.jobToken, q.protocolVersion);
    if (!job) return void call.emit('error', this.failWith ?? { code: grpc.status.UNAUTHENTICATED, details: 'unknown job token' });
    const data = this.artifacts.get(job.runId)?.get(q.name);
    if (!data) {
      call.write({ header: { found: false, name: q.name, size: 0, exact: false } });
      return void call.end();
    }
    call.write({ header: { found: true, name: q.name, size: data.length, exact: true } });
    void this.send(call, data);
  }

  private async send(call: grpc.ServerWritableStream<unknown, DownloadChunk>, data: Buffer): Promise<void> {
    for (let off = 0; off < data.length; off += SEND_CHUNK) {
      if (!call.write({ data: data.subarray(off, off + SEND_CHUNK) })) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  }
}
