/**
 * A real AgentService with real BlobServices (store on disk, a Storage) and a tiny gRPC client
 * speaking the cache and artifact RPCs as agent.proto says.
 */
import * as grpc from '@grpc/grpc-js';
import { PLAN_VERSION, type JobSpec, type Storage } from '@helios-ci/sdk';
import { AgentService, agentClientConstructor, PROTOCOL_VERSION, type JobSink } from '../../src/index.js';
import { BlobServices, blobSettingsFrom, type BlobSettings } from '../../src/blobs/blobServices.js';
import { ManualClock } from '../../src/clock/manualClock.js';
import { HeliosConfigSchema } from '../../src/kernel/config/schema.js';
import { Value } from '@sinclair/typebox/value';
import type { RunRecord, Store } from '../../src/store/index.js';
import { jobPlan, openTempStore, runPlan, REPO } from './storeFixtures.js';

type Msg = Record<string, unknown>;

interface RawClient extends grpc.Client {
  UploadCache(cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientWritableStream<Msg>;
  UploadArtifact(cb: (e: grpc.ServiceError | null, r?: Msg) => void): grpc.ClientWritableStream<Msg>;
  RestoreCache(q: Msg): grpc.ClientReadableStream<Msg>;
  DownloadArtifact(q: Msg): grpc.ClientReadableStream<Msg>;
  ListArtifacts(q: Msg, cb: (e: grpc.ServiceError | null, r?: Msg) => void): void;
}

export interface UploadAnswer {
  size: number;
  stored: boolean;
  reason: string;
}

export interface DownloadAnswer {
  header: { found: boolean; name: string; size: number; exact: boolean };
  data: Buffer;
}

const noSink: JobSink = { onStepStarted() {}, onLog() {}, onStepFinished() {}, onAnnotation() {}, onFinished() {}, onLost() {} };

export function defaultSettings(over: { caches?: Partial<BlobSettings['caches']>; artifacts?: Partial<BlobSettings['artifacts']>; defaultBranch?: string } = {}): BlobSettings {
  const config = Value.Default(HeliosConfigSchema, { plugins: {} }) as Parameters<typeof blobSettingsFrom>[0];
  const base = blobSettingsFrom(config);
  return {
    ...base,
    caches: { ...base.caches, ...over.caches },
    artifacts: { ...base.artifacts, ...over.artifacts },
    defaultBranch: over.defaultBranch ?? base.defaultBranch,
  };
}

export interface RunShape {
  event?: 'push' | 'pull_request';
  ref?: string;
  /** pull_request: the number. */
  number?: number;
  headRef?: string;
  trusted?: boolean;
  forge?: string | null;
}

export class BlobHarness {
  readonly clock = new ManualClock(Date.UTC(2026, 0, 1));
  readonly temp = openTempStore({ clock: this.clock });
  readonly blobs: BlobServices;
  readonly service: AgentService;
  private client!: RawClient;
  /** What the blob services logged (msg, fields). */
  readonly logs: { msg: string; fields?: unknown }[] = [];

  constructor(
    readonly storage: Storage,
    settings: BlobSettings = defaultSettings(),
    withBlobs = true,
  ) {
    const logger = this.logger();
    this.blobs = new BlobServices({ store: this.store, storage, settings, logger });
    this.service = new AgentService({ blobs: withBlobs ? this.blobs.jobBlobs : null, maxMessageBytes: 8 * 1024 * 1024 });
  }

  get store(): Store {
    return this.temp.store;
  }

  async start(): Promise<this> {
    const { endpoint } = await this.service.start();
    const Client = agentClientConstructor();
    this.client = new Client(endpoint, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 8 * 1024 * 1024 }) as unknown as RawClient;
    return this;
  }

  async stop(): Promise<void> {
    this.client?.close();
    await this.service.stop();
    await this.blobs.housekeeping.stop();
    this.temp.cleanup();
  }

  /** A run in the store shaped as asked, with one job registered with the agent service. */
  job(shape: RunShape = {}): { token: string; run: RunRecord; jobId: string } {
    const event = shape.event ?? 'push';
    const ref = shape.ref ?? 'refs/heads/main';
    const plan = runPlan([jobPlan('build')]);
    plan.event = event === 'pull_request' ? { name: 'pull_request', ref, headRef: shape.headRef ?? 'refs/heads/feature', ...(shape.number ? { number: shape.number } : {}) } : { name: 'push', ref };
    const { run, jobs } = this.store.runs.create({ forge: shape.forge === undefined ? 'github' : shape.forge, repo: REPO, sha: 'abc123', ref, event, trusted: shape.trusted ?? true, plan });
    const spec: JobSpec = {
      planVersion: PLAN_VERSION,
      runId: run.id,
      jobId: jobs[0]!.id,
      job: jobs[0]!.plan,
      repository: { fullName: `${REPO.owner}/${REPO.name}`, cloneUrl: 'file:///nowhere', sha: 'abc123', ref },
      github: {},
      needs: {},
      inputs: {},
      vars: {},
      secrets: {},
    };
    const handle = this.service.registerJob(spec, noSink);
    return { token: handle.token, run, jobId: jobs[0]!.id };
  }

  /** Another job of the same run. */
  sibling(run: RunRecord): { token: string; jobId: string } {
    const job = this.store.jobs.create({ runId: run.id, plan: jobPlan(`other-${Math.random().toString(36).slice(2, 8)}`) });
    const spec: JobSpec = {
      planVersion: PLAN_VERSION,
      runId: run.id,
      jobId: job.id,
      job: job.plan,
      repository: { fullName: `${REPO.owner}/${REPO.name}`, cloneUrl: 'file:///nowhere', sha: 'abc123', ref: run.ref },
      github: {},
      needs: {},
      inputs: {},
      vars: {},
      secrets: {},
    };
    return { token: this.service.registerJob(spec, noSink).token, jobId: job.id };
  }

  upload(rpc: 'UploadCache' | 'UploadArtifact', header: Msg, chunks: Buffer[], options: { cancelAfter?: number; cancelDelayMs?: number } = {}): Promise<UploadAnswer> {
    return new Promise((resolve, reject) => {
      const call = this.client[rpc]((e, r) => (e ? reject(e) : resolve(r as unknown as UploadAnswer)));
      call.write({ header: { protocolVersion: PROTOCOL_VERSION, ...header } });
      chunks.forEach((c, i) => {
        call.write({ data: c });
        if (options.cancelAfter === i + 1) setTimeout(() => call.cancel(), options.cancelDelayMs ?? 50);
      });
      if (options.cancelAfter === undefined) call.end();
    });
  }

  saveCache(token: string, key: string, data: Buffer | string, version = 'v1'): Promise<UploadAnswer> {
    return this.upload('UploadCache', { jobToken: token, name: key, version }, [Buffer.from(data)]);
  }

  uploadArtifact(token: string, name: string, data: Buffer | string, extra: { retentionDays?: number; overwrite?: boolean } = {}): Promise<UploadAnswer> {
    return this.upload('UploadArtifact', { jobToken: token, name, ...extra }, [Buffer.from(data)]);
  }

  download(rpc: 'RestoreCache' | 'DownloadArtifact', query: Msg): Promise<DownloadAnswer> {
    return new Promise((resolve, reject) => {
      const call = this.client[rpc]({ protocolVersion: PROTOCOL_VERSION, ...query });
      let header: DownloadAnswer['header'] | null = null;
      const parts: Buffer[] = [];
      call.on('data', (m: Msg) => {
        if (m.body === 'header') header = m.header as DownloadAnswer['header'];
        else parts.push(m.data as Buffer);
      });
      call.on('error', reject);
      call.on('end', () => (header ? resolve({ header, data: Buffer.concat(parts) }) : reject(new Error('download ended without a header'))));
    });
  }

  restore(token: string, keys: string[], version = 'v1', lookupOnly = false): Promise<DownloadAnswer> {
    return this.download('RestoreCache', { jobToken: token, keys, version, lookupOnly });
  }

  downloadArtifact(token: string, name: string): Promise<DownloadAnswer> {
    return this.download('DownloadArtifact', { jobToken: token, name });
  }

  listArtifacts(token: string): Promise<{ name: string; size: number }[]> {
    return new Promise((resolve, reject) =>
      this.client.ListArtifacts({ jobToken: token, protocolVersion: PROTOCOL_VERSION }, (e, r) => (e ? reject(e) : resolve((r as { artifacts: { name: string; size: number }[] }).artifacts))),
    );
  }

  private logger() {
    const logs = this.logs;
    const log = (msg: string, fields?: unknown) => void logs.push({ msg, fields });
    const logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    return logger as unknown as import('@helios-ci/sdk').Logger;
  }
}

/** Polls an async condition (Storage answers through promises) until it holds; a hang guard, not a speed check. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
