/**
 * The agent's side of the storage RPCs (agent.proto): client-streaming uploads and server-streaming
 * downloads, both with backpressure, plus ListArtifacts. Every call carries the job token and the
 * protocol version in its header, as the Session's Hello does.
 *
 * Uploads re-chunk the source into ~1 MiB data messages and wait for 'drain' whenever grpc-js's
 * buffer is full, so a fast archiver never runs ahead of the network. Downloads are pulled message
 * by message: a slow extractor slows the server through HTTP/2 flow control. A download whose bytes
 * do not add up to the header's size is an error (a stream cut off mid-way restores nothing).
 */
import { Readable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import type { ActionQuery, ArtifactEntry__Output, ArtifactList__Output, ArtifactQuery, CacheQuery, DownloadChunk__Output, DownloadHeader__Output, UploadChunk, UploadHeader, UploadResult__Output } from '@helios-ci/proto';
import { PROTOCOL_VERSION } from '../protocol.js';

export const CHUNK_BYTES = 1024 * 1024;

type UploadCall = grpc.ClientWritableStream<UploadChunk>;
type DownloadCall = grpc.ClientReadableStream<DownloadChunk__Output>;
type UploadMethod = (callback: (err: grpc.ServiceError | null, res?: UploadResult__Output) => void) => UploadCall;

/** The five storage methods as grpc-js generates them on the Agent client. */
export interface StorageMethods {
  UploadCache: UploadMethod;
  UploadArtifact: UploadMethod;
  RestoreCache(query: CacheQuery): DownloadCall;
  DownloadArtifact(query: ArtifactQuery): DownloadCall;
  ListArtifacts(query: ArtifactQuery, callback: (err: grpc.ServiceError | null, res?: ArtifactList__Output) => void): grpc.ClientUnaryCall;
  FetchAction(query: ActionQuery): DownloadCall;
}

/** A storage call the server refused or that broke; `code` is the gRPC status when there was one. */
export class StorageCallError extends Error {
  constructor(
    message: string,
    readonly code: number | null = null,
  ) {
    super(message);
  }
}

export type UploadFields = Omit<UploadHeader, 'jobToken' | 'protocolVersion'> & { name: string };

export interface Download {
  header: DownloadHeader__Output;
  /** The data bytes; ends with an error if they stop short of (or run past) header.size. */
  body: Readable;
}

const describe = (err: grpc.ServiceError): string => err.details || err.message;

export class StorageRpc {
  constructor(
    private readonly client: StorageMethods,
    private readonly token: string,
    /** Aborting it cancels the call in flight (job cancel or timeout). */
    private readonly signal?: AbortSignal,
  ) {}

  /** Cancels `call` when the signal aborts; returns the un-registration. */
  private tie(call: { cancel(): void }): () => void {
    const signal = this.signal;
    if (!signal) return () => undefined;
    const cancel = () => call.cancel();
    if (signal.aborted) queueMicrotask(cancel);
    signal.addEventListener('abort', cancel, { once: true });
    return () => signal.removeEventListener('abort', cancel);
  }

  /** Streams `source` as one upload; resolves with the server's result. */
  private async upload(method: 'UploadCache' | 'UploadArtifact', fields: UploadFields, source: Readable): Promise<UploadResult__Output> {
    let callError: StorageCallError | null = null;
    let wake: (() => void) | null = null;
    let call!: UploadCall;
    const result = new Promise<UploadResult__Output>((resolve, reject) => {
      call = this.client[method]((err, res) => {
        if (err) {
          callError = new StorageCallError(`${method} failed: ${describe(err)}`, err.code);
          wake?.();
          reject(callError);
        } else resolve(res!);
      });
    });
    result.catch(() => undefined);
    const untie = this.tie(call);
    void result.finally(untie).catch(() => undefined);
    const write = async (msg: UploadChunk): Promise<void> => {
      if (call.write(msg) || callError) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
        call.once('drain', resolve);
      });
      wake = null;
    };
    try {
      await write({ header: { ...fields, jobToken: this.token, protocolVersion: PROTOCOL_VERSION } });
      for await (const piece of rechunk(source)) {
        if (callError) throw callError;
        await write({ data: piece });
      }
      if (callError) throw callError;
      call.end();
    } catch (err) {
      source.destroy();
      call.cancel();
      throw callError ?? err;
    }
    return result;
  }

  uploadCache(key: string, version: string, source: Readable): Promise<UploadResult__Output> {
    return this.upload('UploadCache', { name: key, version }, source);
  }

  uploadArtifact(name: string, retentionDays: number, overwrite: boolean, source: Readable): Promise<UploadResult__Output> {
    return this.upload('UploadArtifact', { name, retentionDays, overwrite }, source);
  }

  restoreCache(keys: string[], version: string, lookupOnly: boolean): Promise<Download> {
    return this.download('RestoreCache', this.client.RestoreCache({ jobToken: this.token, protocolVersion: PROTOCOL_VERSION, keys, version, lookupOnly }), lookupOnly);
  }

  downloadArtifact(name: string): Promise<Download> {
    return this.download('DownloadArtifact', this.client.DownloadArtifact({ jobToken: this.token, protocolVersion: PROTOCOL_VERSION, name }), false);
  }

  /** The tar of a remote action's repository at `sha` (only actions the job's plan names). */
  fetchAction(repo: string, sha: string): Promise<Download> {
    return this.download('FetchAction', this.client.FetchAction({ jobToken: this.token, protocolVersion: PROTOCOL_VERSION, repo, sha }), false);
  }

  listArtifacts(): Promise<ArtifactEntry__Output[]> {
    return new Promise((resolve, reject) => {
      const call: grpc.ClientUnaryCall = this.client.ListArtifacts({ jobToken: this.token, protocolVersion: PROTOCOL_VERSION, name: '' }, (err, res) => {
        if (err) reject(new StorageCallError(`ListArtifacts failed: ${describe(err)}`, err.code));
        else resolve(res?.artifacts ?? []);
      });
      call.on('status', this.tie(call));
    });
  }

  /** Reads the header; the body pulls the data messages on demand. `headerOnly`: no data follows. */
  private async download(method: string, call: DownloadCall, headerOnly: boolean): Promise<Download> {
    const untie = this.tie(call);
    call.on('status', untie);
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<DownloadChunk__Output>;
    const fail = (err: unknown): StorageCallError => {
      const e = err as grpc.ServiceError;
      return err instanceof StorageCallError ? err : new StorageCallError(`${method} failed: ${typeof e?.code === 'number' ? describe(e) : String((err as Error)?.message ?? err)}`, typeof e?.code === 'number' ? e.code : null);
    };
    let first: IteratorResult<DownloadChunk__Output>;
    try {
      first = await messages.next();
    } catch (err) {
      throw fail(err);
    }
    if (first.done || first.value.body !== 'header' || !first.value.header) {
      call.cancel();
      throw new StorageCallError(`${method}: the server sent no header`);
    }
    const header = first.value.header;
    if (!header.found || headerOnly) {
      call.cancel();
      return { header, body: Readable.from([]) };
    }
    const expected = header.size;
    async function* data(): AsyncGenerator<Buffer> {
      let received = 0;
      let complete = false;
      try {
        for (;;) {
          let next: IteratorResult<DownloadChunk__Output>;
          try {
            next = await messages.next();
          } catch (err) {
            throw fail(err);
          }
          if (next.done) break;
          if (next.value.body !== 'data' || !next.value.data) throw new StorageCallError(`${method}: unexpected message after the header`);
          received += next.value.data.length;
          if (received > expected) throw new StorageCallError(`${method}: the server sent more than the ${expected} bytes it announced`);
          yield next.value.data;
        }
        if (received !== expected) throw new StorageCallError(`${method}: the download was cut off after ${received} of ${expected} bytes`);
        complete = true;
      } finally {
        if (!complete) call.cancel();
      }
    }
    return { header, body: Readable.from(data(), { objectMode: false }) };
  }
}

/** Splits (or passes through) the source's chunks so no data message exceeds CHUNK_BYTES. */
async function* rechunk(source: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    for (let off = 0; off < buf.length; off += CHUNK_BYTES) yield buf.subarray(off, off + CHUNK_BYTES);
  }
}

