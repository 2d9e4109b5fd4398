/**
 * Agent starts, one at a time with a turn of the event loop between them. A 50-job matrix
 * provisions its machines from one turn; forking fifty agents back to back there (each fork of the
 * server is ~5–40 ms on a busy host) held the server's HTTP and gRPC for seconds. Holding the turn
 * only up to the fork was not enough: each start then awaits I/O (the sandbox relays' listen), and
 * the fifty continuations (relays, bootstrap file, fork) all ran in one poll phase of the loop —
 * half a second of a profile. So a start holds its turn until its agent is spawned: the next one
 * begins a turn later (setImmediate: pending I/O runs in between).
 */
let last: Promise<void> = Promise.resolve();

/** Waits for this start's turn; the returned function ends it (call it exactly once, also on failure). */
export function spawnTurn(): Promise<() => void> {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const mine = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = mine.then(() => done);
  return mine.then(() => release);
}
