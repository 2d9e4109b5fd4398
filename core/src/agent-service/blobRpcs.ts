/**
 * The cache and artifact RPCs of the agent protocol (agent.proto: UploadCache, UploadArtifact,
 * RestoreCache, DownloadArtifact, ListArtifacts). Each authenticates the job token, checks the
 * protocol version and hands the job (its id and run) to JobBlobs; without JobBlobs (no Storage
 * plugin) each answers UNIMPLEMENTED saying how to get one.
 */
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { HeliosError } from '@helios-ci/sdk';
import type { ArtifactQuery__Output, CacheQuery__Output, DownloadChunk, UploadChunk__Output } from '@helios-ci/proto';
import { toGrpcStatus } from './grpcStatus.js';
import type { JobState } from './jobState.js';
import { PROTOCOL_VERSION } from './proto.js';
import type { BlobDownload, BlobJob, JobBlobs, UploadOutcome } from './types.js';
import { UploadStream } from './uploadStream.js';

/** Data messages of a download stay well under the agent's 4 MiB message limit. */
const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;

export interface BlobRpcHost {
  authenticate(token: string): JobState;
  readonly blobs: JobBlobs | null;
}

type UploadCall = grpc.ServerReadableStream<UploadChunk__Output, UploadOutcome>;
type DownloadCall<Q> = grpc.ServerWritableStream<Q, DownloadChunk>;

function checkVersion(what: string, version: number): void {
  if (version !== PROTOCOL_VERSION) {
    throw new HeliosError('E_AGENT_PROTOCOL_MISMATCH', `${what} speaks protocol v${version}, this server v${PROTOCOL_VERSION}; use the matching helios-agent`);
  }
}

function need(host: BlobRpcHost, what: string): JobBlobs {
  if (!host.blobs) {
    throw new HeliosError('E_UNIMPLEMENTED', `this server has no storage for ${what}; configure a Storage plugin (@helios-ci/storage-dir on any disk, @helios-ci/storage-zfs on ZFS)`);
  }
  return host.blobs;
}

const jobOf = (state: JobState): BlobJob => ({ jobId: state.jobId, runId: state.spec.runId });

export function blobRpcHandlers(host: BlobRpcHost): Record<string, grpc.UntypedHandleCall> {
  const upload = (kind: 'cache' | 'artifact') => (call: UploadCall, cb: grpc.sendUnaryData<UploadOutcome>) => {
    const stream = new UploadStream(call);
    const run = async (): Promise<UploadOutcome> => {
      const header = await stream.header(kind);
      checkVersion(`the ${kind} upload`, header.protocolVersion);
      const job = jobOf(host.authenticate(header.jobToken));
      const blobs = need(host, kind === 'cache' ? 'caches' : 'artifacts');
      return kind === 'cache'
        ? blobs.saveCache(job, { key: header.name, version: header.version, data: stream.data() })
        : blobs.uploadArtifact(job, { name: header.name, retentionDays: header.retentionDays, overwrite: header.overwrite, data: stream.data() });
    };
    run().then(
      (res) => cb(null, res),
      (err: unknown) => cb(toGrpcStatus(err)),
    );
  };

  const download = <Q extends { jobToken: string; protocolVersion: number }>(what: string, find: (blobs: JobBlobs, job: BlobJob, query: Q) => Promise<BlobDownload | null>) => (call: DownloadCall<Q>) => {
    const run = async () => {
      const query = call.request;
      checkVersion(what, query.protocolVersion);
      const job = jobOf(host.authenticate(query.jobToken));
      const found = await find(need(host, what), job, query);
      await send(call, { header: found ? { found: true, name: found.name, size: found.size, exact: found.exact } : { found: false } });
      if (found?.data) await stream(call, found.data);
      call.end();
    };
    run().catch((err: unknown) => {
      if (!call.cancelled) call.emit('error', toGrpcStatus(err));
    });
  };

  return {
    UploadCache: upload('cache') as grpc.UntypedHandleCall,
    UploadArtifact: upload('artifact') as grpc.UntypedHandleCall,
    RestoreCache: download<CacheQuery__Output>('a cache restore', (blobs, job, q) => blobs.restoreCache(job, { keys: q.keys, version: q.version, lookupOnly: q.lookupOnly })) as grpc.UntypedHandleCall,
    DownloadArtifact: download<ArtifactQuery__Output>('an artifact download', (blobs, job, q) => blobs.downloadArtifact(job, q.name)) as grpc.UntypedHandleCall,
    ListArtifacts: ((call: grpc.ServerUnaryCall<ArtifactQuery__Output, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      const run = async () => {
        checkVersion('an artifact listing', call.request.protocolVersion);
        const job = jobOf(host.authenticate(call.request.jobToken));
        return { artifacts: await need(host, 'artifacts').listArtifacts(job) };
      };
      run().then(
        (res) => cb(null, res),
        (err: unknown) => cb(toGrpcStatus(err)),
      );
    }) as grpc.UntypedHandleCall,
  };
}

/** Writes one message, waiting for the agent to read when HTTP/2 flow control pushes back. */
async function send(call: DownloadCall<unknown>, message: DownloadChunk): Promise<void> {
  if (call.cancelled) throw new HeliosError('E_CANCELLED', 'the agent cancelled the download');
  if (!call.write(message)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
}

async function stream(call: DownloadCall<unknown>, data: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of data) {
    for (let at = 0; at < chunk.byteLength; at += DOWNLOAD_CHUNK_BYTES) {
      // Leaving the loop early (cancel) returns the blob's iterator, which closes the file.
      await send(call, { data: Buffer.from(chunk.buffer, chunk.byteOffset + at, Math.min(DOWNLOAD_CHUNK_BYTES, chunk.byteLength - at)) });
    }
  }
}
