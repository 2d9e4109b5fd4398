/**
 * The download half of a tunnel without the stream layer. `pipe()` costs the proxy a fresh 64 KiB
 * Buffer, a push through a Readable and a 'data' event per read; on loopback that was most of the
 * proxy's user CPU (node --cpu-prof: writeBuffer, GC, stream bookkeeping). Here the upstream socket
 * reads into pooled buffers (net's `onread`) and each read is written straight to the client: about
 * half the proxy's CPU per byte. Buffers start at 16 KiB (an idle keep-alive tunnel holds little),
 * grow to 1 MiB while reads fill them (fewer reads and writes: −30% CPU per byte against 256 KiB) and
 * shrink again when reads come in small. A buffer returns to the pool only when its write has
 * completed (never reused under a pending write); reading stops while the client is backed up, so a
 * tunnel holds a few buffers at most.
 */
import type { OnReadOpts, Socket } from 'node:net';

const FIRST = 16 * 1024;
const MAX = 1024 * 1024;

/**
 * Rewrites the start of the stream (a forwarded response's head) before the relay takes over: gets a
 * copy of each read, returns undefined while it needs more, then what to send in place of all it got.
 * A throw ends the relay (the caller's `source` socket is destroyed with the error).
 */
export type Prelude = (bytes: Buffer) => Buffer | undefined;

/** `onread` for a socket whose bytes all go to `to`; `source` is that socket (asked for only when it must resume). */
export function relayInto(to: Socket, source: () => Socket, prelude?: Prelude): OnReadOpts {
  let pool: Buffer[] = [];
  let size = FIRST;
  let current: Buffer = Buffer.allocUnsafe(size);
  let before = prelude;
  /** Writes `data`; `recycle` (a pooled read buffer) goes back to the pool once written. */
  const send = (data: Buffer, recycle: Buffer | null): boolean => {
    const into = pool;
    const ok = to.write(data, () => {
      if (recycle && recycle.length === size && into === pool) pool.push(recycle);
    });
    if (ok) return true;
    // false stops reading; the client's drain starts it again.
    to.once('drain', () => source().resume());
    return false;
  };
  return {
    buffer: () => current,
    callback: (n: number, buf: Uint8Array) => {
      if (to.destroyed) return false;
      const used = buf as Buffer;
      if (before) {
        let out: Buffer | undefined;
        try {
          out = before(Buffer.from(used.subarray(0, n)));
        } catch (err) {
          source().destroy(err as Error);
          return false;
        }
        if (out === undefined) return true;
        before = undefined;
        return send(out, null);
      }
      if (n === used.length && size < MAX) {
        size = Math.min(MAX, size * 4);
        pool = [];
      } else if (n < size / 16 && size > FIRST) {
        size = Math.max(FIRST, size / 4);
        pool = [];
      }
      current = pool.pop() ?? Buffer.allocUnsafe(size);
      return send(used.subarray(0, n), used);
    },
  };
}
