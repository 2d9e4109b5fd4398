/**
 * The download half of a tunnel without the stream layer. `pipe()` costs the proxy a fresh 64 KiB
 * Buffer, a push through a Readable and a 'data' event per read; on loopback that was most of the
 * proxy's user CPU (node --cpu-prof: writeBuffer, GC, stream bookkeeping). Here the upstream socket
 * reads into pooled 256 KiB buffers (net's `onread`) and each read is written straight to the
 * client: about half the proxy's CPU per byte. A buffer returns to the pool only when its write has
 * completed (never reused under a pending write); reading stops while the client is backed up, so a
 * tunnel holds a few buffers at most.
 */
import type { OnReadOpts, Socket } from 'node:net';

const SIZE = 256 * 1024;

/** `onread` for a socket whose bytes all go to `to`; `source` is that socket (asked for only when it must resume). */
export function relayInto(to: Socket, source: () => Socket): OnReadOpts {
  const pool: Buffer[] = [];
  let current: Buffer = Buffer.allocUnsafe(SIZE);
  return {
    buffer: () => current,
    callback: (n: number, buf: Uint8Array) => {
      if (to.destroyed) return false;
      const used = buf as Buffer;
      current = pool.pop() ?? Buffer.allocUnsafe(SIZE);
      const ok = to.write(used.subarray(0, n), () => pool.push(used));
      if (ok) return true;
      // false stops reading; the client's drain starts it again.
      to.once('drain', () => source().resume());
      return false;
    },
  };
}
