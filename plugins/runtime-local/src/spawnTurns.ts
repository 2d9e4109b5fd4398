/**
 * Agent starts, one per turn of the event loop. A 50-job matrix provisions its machines from one
 * turn; forking fifty agents back to back there (each fork of the server is ~5–40 ms on a busy
 * host) held the server's HTTP and gRPC for seconds. Each start waits for the one before it and
 * then for a turn of its own (setImmediate: pending I/O runs in between).
 */
let last: Promise<void> = Promise.resolve();

export function spawnTurn(): Promise<void> {
  const mine = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = mine;
  return mine;
}
