/**
 * The runtime services toolkit-based actions call, on one HTTP listener of the server (next to the
 * agent gRPC service): the cache service in both protocols @actions/cache speaks (v1 REST under
 * ACTIONS_CACHE_URL, v2 Twirp under ACTIONS_RESULTS_URL), the artifact service of
 * @actions/artifact (Twirp), and the signed blob URLs both upload to and download from. Requests
 * carry the job's ACTIONS_RUNTIME_TOKEN, accepted while that job is provisioning or running.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeliosError, type ActionsRuntimeAccess, type Logger } from '@helios-ci/sdk';
import type { BlobServices } from '../blobs/blobServices.js';
import type { Store } from '../store/index.js';
import { handleBlob } from './blobHandlers.js';
import { CACHE_API_PREFIX, handleCacheRest } from './cacheRestHandlers.js';
import { readJson, sendBlobError, sendJson, sendTwirpError, statusOf } from './httpIo.js';
import { PendingUploads } from './pendingUploads.js';
import { RuntimeArtifacts } from './runtimeArtifacts.js';
import { RuntimeCaches, type RuntimeJob } from './runtimeCaches.js';
import { RuntimeTokens } from './runtimeToken.js';
import { BLOB_PREFIX, SignedUrls } from './signedUrls.js';
import { twirpMethods } from './twirpHandlers.js';

export interface ActionsRuntimeOptions {
  store: Store;
  blobs: BlobServices;
  defaultBranch: string;
  maxCacheEntryBytes: number;
  maxArtifactBytes: number;
  logger: Logger;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** host:port jobs are told (server.actionsEndpoint). */
  advertise?: string;
  /** Without `advertise`: jobs are told this host with the bound port (the agent endpoint's host); default the bound host. */
  advertiseHost?: string;
  /** Longest life of a token; it dies earlier with its job (default 24 h). */
  tokenTtlMs?: number;
  /** Where uploads are staged until finalized: a fresh directory is made in it (default: the OS temp dir). */
  stagingParent?: string;
  /** How often uploads of ended jobs are dropped (default 60 s). */
  sweepIntervalMs?: number;
}

const LIVE = new Set(['provisioning', 'running']);
const TWIRP_PREFIX = '/twirp/';

export class ActionsRuntimeService {
  private server: Server | null = null;
  private bound: { host: string; port: number } | null = null;
  private uploads: PendingUploads | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stagingDir = '';
  private readonly tokens = new RuntimeTokens();
  private readonly urls = new SignedUrls(randomBytes(32), () => this.baseUrl().replace(/\/$/, ''));
  private handlers: {
    twirp: ReturnType<typeof twirpMethods>;
    caches: RuntimeCaches;
  } | null = null;

  constructor(private readonly o: ActionsRuntimeOptions) {}

  async start(): Promise<{ host: string; port: number }> {
    const o = this.o;
    const parent = o.stagingParent ?? tmpdir();
    await mkdir(parent, { recursive: true, mode: 0o700 });
    this.stagingDir = await mkdtemp(join(parent, 'helios-actions-uploads-'));
    const uploads = new PendingUploads(this.stagingDir);
    this.uploads = uploads;
    const caches = new RuntimeCaches({ blobs: o.blobs, uploads, defaultBranch: o.defaultBranch, maxEntryBytes: o.maxCacheEntryBytes });
    const artifacts = new RuntimeArtifacts({ artifacts: o.blobs.artifacts, uploads, maxBytes: o.maxArtifactBytes, now: () => o.store.clock.now() });
    this.handlers = { caches, twirp: twirpMethods({ caches, artifacts, urls: this.urls, uploadTtlMs: 6 * 3600_000, downloadTtlMs: 3600_000 }) };
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.bound = { host: o.host ?? '127.0.0.1', port: addr.port };
    this.sweepTimer = setInterval(() => void this.sweep(), o.sweepIntervalMs ?? 60_000);
    this.sweepTimer.unref();
    o.logger.info('actions runtime service listening', { address: `${this.bound.host}:${this.bound.port}`, advertised: this.endpoint });
    return this.bound;
  }

  /** host:port jobs dial. */
  get endpoint(): string {
    if (this.o.advertise) return this.o.advertise;
    if (!this.bound) throw new HeliosError('E_INTERNAL', 'the actions runtime service is not started');
    return `${this.o.advertiseHost ?? (this.bound.host === '0.0.0.0' ? '127.0.0.1' : this.bound.host)}:${this.bound.port}`;
  }

  baseUrl(): string {
    return `http://${this.endpoint}/`;
  }

  /** What a job's spec carries (JobSpec.actionsRuntime), with a token minted for that job. */
  accessFor(runId: string, jobId: string): ActionsRuntimeAccess {
    const base = this.baseUrl();
    return { resultsUrl: base, cacheUrl: base, token: this.tokens.mint(runId, jobId, this.o.tokenTtlMs ?? 24 * 3600_000), cacheServiceV2: true };
  }

  /** Drops uploads whose job no longer runs. */
  async sweep(): Promise<number> {
    if (!this.uploads) return 0;
    const n = await this.uploads.sweep((jobId) => LIVE.has(this.o.store.jobs.get(jobId)?.state ?? ''));
    if (n) this.o.logger.info('dropped uploads of ended jobs', { count: n });
    return n;
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.uploads?.clear();
    if (this.stagingDir) await rm(this.stagingDir, { recursive: true, force: true });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://runtime.invalid');
    const h = this.handlers!;
    try {
      if (url.pathname.startsWith(BLOB_PREFIX)) {
        try {
          const target = this.urls.verify(url);
          await handleBlob(req, res, url, target, { upload: (id) => this.uploads!.get(id), drop: (p) => this.uploads!.end(p), caches: h.caches, artifacts: this.o.blobs.artifacts });
        } catch (err) {
          this.failed(req, url, err);
          sendBlobError(res, err);
        }
        return;
      }
      if (url.pathname.startsWith(TWIRP_PREFIX)) {
        try {
          const method = h.twirp.get(url.pathname.slice(TWIRP_PREFIX.length));
          if (req.method !== 'POST' || !method) throw new HeliosError('E_NOT_FOUND', `${req.method} ${url.pathname} is not a method of the Helios actions runtime service`);
          const job = this.authenticate(req);
          sendJson(res, 200, await method(job, await readJson(req)));
        } catch (err) {
          this.failed(req, url, err);
          sendTwirpError(res, err);
        }
        return;
      }
      if (url.pathname.startsWith(CACHE_API_PREFIX)) {
        try {
          await handleCacheRest(req, res, url, this.authenticate(req), { caches: h.caches, urls: this.urls, downloadTtlMs: 3600_000 });
        } catch (err) {
          this.failed(req, url, err);
          if (!res.headersSent) sendJson(res, statusOf(err), { message: err instanceof HeliosError ? err.message : 'internal error in the Helios actions runtime service', typeKey: err instanceof HeliosError ? err.code : 'E_INTERNAL' });
        }
        return;
      }
      sendJson(res, 404, { message: `${url.pathname} is not served here: this is the Helios actions runtime service (cache and artifact APIs for @actions/cache and @actions/artifact)` });
    } catch (err) {
      this.o.logger.error('actions runtime request failed', { path: url.pathname, error: err });
      if (!res.headersSent) sendJson(res, 500, { message: 'internal error' });
      else res.destroy();
    }
  }

  /** The job behind the Bearer token, which must be one of this server's, for a job that still runs. */
  private authenticate(req: IncomingMessage): RuntimeJob {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (\S+)$/i.exec(auth)?.[1];
    if (!token) throw new HeliosError('E_UNAUTHORIZED', 'no ACTIONS_RUNTIME_TOKEN was sent (Authorization: Bearer ...); the cache and artifact services are for steps of a running Helios job');
    const claims = this.tokens.verify(token);
    const job = this.o.store.jobs.get(claims.jobId);
    if (!job || job.runId !== claims.runId) throw new HeliosError('E_UNAUTHORIZED', `ACTIONS_RUNTIME_TOKEN was refused: job ${claims.jobId} of run ${claims.runId} is not known to this server`);
    if (!LIVE.has(job.state)) throw new HeliosError('E_UNAUTHORIZED', `ACTIONS_RUNTIME_TOKEN was refused: job ${claims.jobId} has ended (${job.state}); a token lives only as long as its job`);
    const run = this.o.store.runs.get(claims.runId);
    if (!run) throw new HeliosError('E_UNAUTHORIZED', `ACTIONS_RUNTIME_TOKEN was refused: run ${claims.runId} is not known to this server`);
    return { run, jobId: job.id, ...originOf(req) };
  }

  private failed(req: IncomingMessage, url: URL, err: unknown): void {
    const status = statusOf(err);
    const fields = { method: req.method, path: url.pathname.startsWith(BLOB_PREFIX) ? BLOB_PREFIX : url.pathname, status, error: err };
    if (status >= 500) this.o.logger.error('actions runtime request failed', fields);
    else this.o.logger.info('actions runtime request refused', fields);
  }
}

/** `http://<Host>` when the Host header is a plain host[:port]; otherwise the advertised base is used. */
function originOf(req: IncomingMessage): { origin?: string } {
  const host = req.headers.host ?? '';
  return /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.test(host) ? { origin: `http://${host}` } : {};
}
