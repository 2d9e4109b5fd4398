import type { Database } from 'better-sqlite3';

/** When a job's machine reached each start milestone (epoch ms); null = not reported. */
export interface JobTimings {
  cloneAt: number;
  bootedAt: number | null;
  consoleAt: number | null;
  helloAt: number | null;
}

export type TimingMilestone = 'booted' | 'console' | 'hello';

const COLUMN: Record<TimingMilestone, string> = { booted: 'booted_at', console: 'console_at', hello: 'hello_at' };

interface Row {
  clone_at: number;
  booted_at: number | null;
  console_at: number | null;
  hello_at: number | null;
}

/** Machine start timings (migration 007): t0 clone, t1 booted, t2 first console byte, t3 agent Hello. */
export class JobTimingRepo {
  constructor(private readonly db: Database) {}

  /** t0: a provision starts (again, on a retry: the timings are of the machine that ran). */
  start(jobId: string, at: number): void {
    this.db.prepare('INSERT INTO job_timings (job_id, clone_at) VALUES (?, ?) ON CONFLICT (job_id) DO UPDATE SET clone_at = excluded.clone_at, booted_at = NULL, console_at = NULL, hello_at = NULL').run(jobId, at);
  }

  /** The first time only: a resumed agent's second Hello does not move t3. */
  mark(jobId: string, milestone: TimingMilestone, at: number): void {
    const col = COLUMN[milestone];
    this.db.prepare(`UPDATE job_timings SET ${col} = ? WHERE job_id = ? AND ${col} IS NULL`).run(at, jobId);
  }

  get(jobId: string): JobTimings | null {
    const r = this.db.prepare<[string], Row>('SELECT clone_at, booted_at, console_at, hello_at FROM job_timings WHERE job_id = ?').get(jobId);
    return r ? { cloneAt: r.clone_at, bootedAt: r.booted_at, consoleAt: r.console_at, helloAt: r.hello_at } : null;
  }
}
