import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { HeliosError } from '@helios-ci/sdk';
import { systemClock, type Clock } from '../clock/clock.js';
import { migrate } from './migrate.js';
import { createPrivateDir, ensurePrivateFile, tightenFile } from './privateFiles.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { AnnotationRepo } from './repos/annotationRepo.js';
import { ApprovalRepo } from './repos/approvalRepo.js';
import { ArtifactRepo } from './repos/artifactRepo.js';
import { CacheRepo } from './repos/cacheRepo.js';
import { CheckRepo } from './repos/checkRepo.js';
import { InboxRepo } from './repos/inboxRepo.js';
import { JobRepo } from './repos/jobRepo.js';
import { JobTimingRepo } from './repos/jobTimingRepo.js';
import { JobAgentRepo } from './repos/jobAgentRepo.js';
import { LogChunkRepo } from './repos/logChunkRepo.js';
import { LogRepo } from './repos/logRepo.js';
import { LogReader } from './logs/logReader.js';
import { OutboxRepo } from './repos/outboxRepo.js';
import { QueueRepo } from './repos/queueRepo.js';
import { RunRepo } from './repos/runRepo.js';
import { StepRepo } from './repos/stepRepo.js';
import { WarmHeadRepo } from './repos/warmHeadRepo.js';

export interface StoreOptions {
  /** SQLite file (created with its directory if missing), or `:memory:`. */
  path: string;
  /** Timestamps come from here (default: the system clock). */
  clock?: Clock;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5,000 ms). */
  busyTimeoutMs?: number;
  /** Log bytes kept per job (limits.maxLogBytesPerJob); past it a log keeps its head and tail. Default: no cap. */
  maxLogBytesPerJob?: number;
  /** Tests only: migrate with this list instead of the code's (e.g. just migration 1). */
  migrations?: readonly Migration[];
}

/**
 * The Helios store: one SQLite database in WAL mode, migrated on open, with a small typed repository
 * per table group. Single-writer by design (one `helios serve` per data dir); every method that
 * changes state is one transaction. Use `transaction(fn)` to make several repository calls atomic
 * (better-sqlite3 nests them as savepoints).
 */
export class Store {
  readonly db: Database.Database;
  readonly clock: Clock;
  readonly schemaVersion: number;
  readonly inbox: InboxRepo;
  readonly runs: RunRepo;
  readonly jobs: JobRepo;
  readonly steps: StepRepo;
  /** Line rows of live logs (appends); read logs through `logReader`. */
  readonly logs: LogRepo;
  /** Compacted logs: chunks and per-job archive rows (store/logs). */
  readonly logChunks: LogChunkRepo;
  /** Reads any job log by line number, whether rows, chunks or removed by retention. */
  readonly logReader: LogReader;
  readonly annotations: AnnotationRepo;
  readonly checks: CheckRepo;
  readonly outbox: OutboxRepo;
  readonly artifacts: ArtifactRepo;
  readonly caches: CacheRepo;
  readonly queue: QueueRepo;
  readonly approvals: ApprovalRepo;
  readonly warmHeads: WarmHeadRepo;
  readonly jobTimings: JobTimingRepo;
  readonly jobAgents: JobAgentRepo;

  private constructor(db: Database.Database, clock: Clock, schemaVersion: number, maxLogBytesPerJob?: number) {
    this.db = db;
    this.clock = clock;
    this.schemaVersion = schemaVersion;
    const now = () => clock.now();
    this.inbox = new InboxRepo(db, now);
    this.jobs = new JobRepo(db, now);
    this.runs = new RunRepo(db, now, this.jobs);
    this.steps = new StepRepo(db, now);
    this.logChunks = new LogChunkRepo(db);
    this.logs = new LogRepo(db, maxLogBytesPerJob, (jobId) => this.logChunks.lastSeq(jobId));
    this.logReader = new LogReader(db, this.logs, this.logChunks);
    this.annotations = new AnnotationRepo(db);
    this.checks = new CheckRepo(db, now);
    this.outbox = new OutboxRepo(db, now);
    this.artifacts = new ArtifactRepo(db, now);
    this.caches = new CacheRepo(db, now);
    this.queue = new QueueRepo(db, now);
    this.approvals = new ApprovalRepo(db, now);
    this.warmHeads = new WarmHeadRepo(db, now);
    this.jobTimings = new JobTimingRepo(db);
    this.jobAgents = new JobAgentRepo(db);
  }

  /** Opens (creating and migrating as needed). E_STORE_TOO_NEW for a database from a newer Helios. */
  static open(options: StoreOptions | string): Store {
    const o = typeof options === 'string' ? { path: options } : options;
    const clock = o.clock ?? systemClock;
    let db: Database.Database;
    try {
      if (o.path !== ':memory:') {
        // Job logs and secrets-adjacent state: owner only. SQLite gives -wal/-shm the main file's mode.
        createPrivateDir(dirname(o.path));
        ensurePrivateFile(o.path);
      }
      db = new Database(o.path);
    } catch (err) {
      throw new HeliosError('E_STORE_OPEN', `cannot open the store at ${o.path}: ${(err as Error).message}; check that server.dataDir is writable`, { cause: err });
    }
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the last commits).
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs ?? 5000))}`);
      // Files left by an older Helios (created 644) are tightened too.
      if (o.path !== ':memory:') for (const suffix of ['-wal', '-shm']) tightenFile(o.path + suffix);
      const version = migrate(db, o.migrations ?? MIGRATIONS, () => clock.now());
      return new Store(db, clock, version, o.maxLogBytesPerJob);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Runs `fn` in one transaction: all of its writes land, or (if it throws) none do. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
