import { HeliosError } from '@helios-ci/sdk';
import type { UploadChunk__Output, UploadHeader__Output } from '@helios-ci/proto';
import type * as grpc from '@grpc/grpc-js';

/** Chunks read ahead of the consumer before the call is paused (HTTP/2 flow control does the rest). */
const HIGH_WATER = 4;

/**
 * A client-streaming upload as a header and a stream of data chunks. The data stream ends only
 * when the agent half-closed the call normally; a cancelled or broken call makes it throw
 * E_UPLOAD_INCOMPLETE, so a Storage write fed from it aborts and keeps nothing. A cancelled call
 * looks like a normal end at first (see next()), so 'cancelled' is watched explicitly.
 */
export class UploadStream {
  private readonly queue: UploadChunk__Output[] = [];
  private ended = false;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly call: grpc.ServerReadableStream<UploadChunk__Output, unknown>) {
    call.on('data', (chunk: UploadChunk__Output) => {
      this.queue.push(chunk);
      if (this.queue.length >= HIGH_WATER) call.pause();
      this.notify();
    });
    call.on('end', () => {
      this.ended = true;
      this.notify();
    });
    call.on('cancelled', () => this.fail(new HeliosError('E_UPLOAD_INCOMPLETE', 'the upload was cancelled before it ended; nothing of it was kept')));
    call.on('error', (err: Error) => this.fail(new HeliosError('E_UPLOAD_INCOMPLETE', `the upload broke off (${err.message}); nothing of it was kept`, { cause: err })));
  }

  /** The first message, which must be the header. */
  async header(kind: string): Promise<UploadHeader__Output> {
    const first = await this.next();
    if (!first || first.body !== 'header' || !first.header) {
      throw new HeliosError('E_AGENT_PROTOCOL_INVALID', `the first message of a ${kind} upload must be its header`);
    }
    return first.header;
  }

  /** The data chunks after the header, to the normal end of the call. */
  async *data(): AsyncIterable<Uint8Array> {
    for (;;) {
      const chunk = await this.next();
      if (!chunk) return;
      if (chunk.body === 'header') throw new HeliosError('E_AGENT_PROTOCOL_INVALID', 'an upload carries one header, first; a second one arrived');
      if (chunk.data && chunk.data.byteLength > 0) yield chunk.data;
    }
  }

  private async next(): Promise<UploadChunk__Output | null> {
    for (;;) {
      if (this.failure) throw this.failure;
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.queue.length < HIGH_WATER / 2) this.call.resume();
        return chunk;
      }
      if (this.ended) {
        // A cancel (RST_STREAM) also ends the readable side, a few ticks before grpc-js marks the
        // call cancelled; only an end that is still not a cancel after those ticks is a half-close.
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        if (this.failure) throw this.failure;
        if (this.call.cancelled) throw new HeliosError('E_UPLOAD_INCOMPLETE', 'the upload was cancelled before it ended; nothing of it was kept');
        return null;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
