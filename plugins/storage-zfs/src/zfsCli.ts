/**
 * Runs `zfs` and `zpool`: always an argv array through execFile (no shell), English messages (LC_ALL=C)
 * so failures can be recognised, and "dataset is busy" retried with backoff — zfs-fuse answers it for
 * about a second after a dataset was written to or unmounted, illumos while a mount is being torn down.
 */
import { execFile } from 'node:child_process';

/** What a failed command's message says, as far as Helios acts on it. */
export type ZfsFailure =
  | 'not-found'
  | 'busy'
  | 'exists'
  | 'quota'
  | 'no-space'
  | 'has-dependents'
  | 'not-mounted'
  | 'daemon-down'
  | 'permission'
  | 'command-missing'
  | 'timeout'
  | 'other';

export class ZfsCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    readonly failure: ZfsFailure,
    readonly exitCode: number | string | null,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || `exit ${exitCode}`}`);
    this.name = 'ZfsCommandError';
  }
}

// Order matters: "cannot open 'x': dataset does not exist" is not-found even when other words follow.
const PATTERNS: [RegExp, ZfsFailure][] = [
  [/failed to initialize ZFS library|zfs-fuse daemon is running|connect: (No such file|Connection refused)/i, 'daemon-down'],
  [/dataset does not exist|no such pool|could not find any snapshots/i, 'not-found'],
  [/dataset is busy|pool is busy|device busy|target is busy/i, 'busy'],
  [/dataset already exists|already exists/i, 'exists'],
  [/quota exceeded|exceeds quota|Disk quota/i, 'quota'],
  [/out of space|No space left/i, 'no-space'],
  [/has dependent clones|has children|snapshots? (?:has|have) dependent/i, 'has-dependents'],
  [/not currently mounted|not mounted/i, 'not-mounted'],
  [/permission denied|Operation not permitted|must be root/i, 'permission'],
];

export function classifyZfsMessage(stderr: string): ZfsFailure {
  for (const [pattern, failure] of PATTERNS) if (pattern.test(stderr)) return failure;
  return 'other';
}

export interface ZfsCliOptions {
  zfsCommand: string;
  zpoolCommand: string;
  /** Extra attempts after a "busy" answer (0: none). */
  busyRetries: number;
  /** First backoff delay; doubles per attempt up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A command that hangs (a wedged daemon) is killed after this long. */
  timeoutMs?: number;
}

export class ZfsCli {
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: ZfsCliOptions) {
    this.backoffMs = options.backoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** `zfs ARGS` once; stdout, or a ZfsCommandError saying what went wrong. */
  zfs(args: readonly string[]): Promise<string> {
    return this.exec(this.options.zfsCommand, args);
  }

  zpool(args: readonly string[]): Promise<string> {
    return this.exec(this.options.zpoolCommand, args);
  }

  /** `zfs ARGS`, tried again with backoff while the answer is "busy". */
  async zfsRetryingBusy(args: readonly string[], retries = this.options.busyRetries): Promise<string> {
    let delay = this.backoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.zfs(args);
      } catch (err) {
        if (!(err instanceof ZfsCommandError) || err.failure !== 'busy' || attempt >= retries) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.maxBackoffMs);
      }
    }
  }

  private exec(command: string, args: readonly string[]): Promise<string> {
    const argv = [command, ...args];
    return new Promise((resolve, reject) => {
      execFile(
        command,
        args,
        { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const code = (error as NodeJS.ErrnoException).code ?? null;
          if (code === 'ENOENT' || code === 'EACCES') return reject(new ZfsCommandError(argv, `${command}: ${code === 'ENOENT' ? 'command not found' : 'not executable'}`, 'command-missing', code));
          if (error.killed) return reject(new ZfsCommandError(argv, `killed after ${this.timeoutMs} ms`, 'timeout', null));
          const message = stderr || stdout || error.message;
          reject(new ZfsCommandError(argv, message, classifyZfsMessage(message), typeof code === 'number' ? code : (error as { code?: number }).code ?? null));
        },
      );
    });
  }
}
