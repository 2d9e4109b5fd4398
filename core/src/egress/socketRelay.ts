/**
 * The download half of a tunnel without the stream layer. `pipe()` costs the proxy a fresh 64 KiB
 * Buffer, a push through a Readable and a 'data' event per read; on loopback that was most of the
 * proxy's user CPU (node --cpu-prof: writeBuffer, GC, stream bookkeeping). Here the upstream socket
 * reads into pooled buffers (net's `onread`) and each read is written straight to the client: about
 * half the proxy's CPU per byte. Buffers start at 16 KiB (an idle keep-alive tunnel holds little) and
 * grow to 256 KiB while reads fill them. A buffer returns to the pool only when its write has
 * completed (never reused under a pending write); reading stops while the client is backed up, so a
 * tunnel holds a few buffers at most.
 */
import type { OnReadOpts, Socket } from 'node:net';

const FIRST = 16 * 1024;
const MAX = 256 * 1024;

/** `onread` for a socket whose bytes all go to `to`; `source` is that socket (asked for only when it must resume). */
export function relayInto(to: Socket, source: () => Socket): OnReadOpts {
  let pool: Buffer[] = [];
  let size = FIRST;
  let current: Buffer = Buffer.allocUnsafe(size);
  return {
    buffer: () => current,
    callback: (n: number, buf: Uint8Array) => {
      if (to.destroyed) return false;
      const used = buf as Buffer;
      if (n === used.length && size < MAX) {
        size = Math.min(MAX, size * 4);
        pool = [];
      }
      current = pool.pop() ?? Buffer.allocUnsafe(size);
      const into = pool;
      const ok = to.write(used.subarray(0, n), () => {
        if (used.length === size && into === pool) pool.push(used);
      });
      if (ok) return true;
      // false stops reading; the client's drain starts it again.
      to.once('drain', () => source().resume());
      return false;
    },
  };
}
