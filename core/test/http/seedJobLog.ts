import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../src/store/store.js';
import { createRun } from '../helpers/storeFixtures.js';

/**
 * Writes a finished job with a `lines`-line log into `<dataDir>/helios.db` before `helios serve`
 * starts on that data dir (the server then serves it like any other job). Returns the job id.
 */
export function seedJobLog(dataDir: string, lines: number): { runId: string; jobId: string } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const store = Store.open(join(dataDir, 'helios.db'));
  try {
    const { runId, jobIds } = createRun(store, ['build']);
    const jobId = jobIds[0]!;
    store.jobs.transition(jobId, 'provisioning');
    store.jobs.transition(jobId, 'running');
    const text = 'seeded log line '.padEnd(80, 'x');
    for (let start = 1; start <= lines; start += 10_000) {
      const n = Math.min(10_000, lines - start + 1);
      store.logs.append(jobId, Array.from({ length: n }, (_, i) => ({ step: 1, stream: 'stdout' as const, ts: 0, text: `${text} ${start + i}` })));
    }
    store.jobs.transition(jobId, 'succeeded');
    return { runId, jobId };
  } finally {
    store.close();
  }
}
