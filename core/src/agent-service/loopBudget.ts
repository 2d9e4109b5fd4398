/**
 * A share of the event loop for agent messages. Every session's messages reach the store on the
 * server's one thread (a log batch is one SQLite transaction, ~5–25 ms); fifty agents printing at
 * once would otherwise chain their batches in one turn of the loop and hold HTTP, the UI and the
 * agents' own acks for seconds. Sessions call `turn()` before each message: within BUDGET_MS of
 * the current slice it resolves at once (a microtask, no cost); past it, in the next turn of the
 * loop (setImmediate, after pending I/O), where a fresh slice starts.
 */
import { performance } from 'node:perf_hooks';

/** Work done back to back before pending I/O gets its turn. */
export const BUDGET_MS = 10;

let sliceStart = performance.now();

export function turn(): Promise<void> | null {
  const now = performance.now();
  if (now - sliceStart < BUDGET_MS) return null;
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      // The first session back in a new turn opens its slice; the others share it.
      const t = performance.now();
      if (t - sliceStart >= BUDGET_MS) sliceStart = t;
      resolve();
    }),
  );
}
