/**
 * Runs one step process in its own process group (spawn detached → setsid), so cancel and timeouts
 * reach every grandchild: SIGTERM to the whole group, SIGKILL after a grace period. Every process
 * also carries the machine's tracking marker (HELIOS_TRACKING_ID), so what left its group (`setsid`,
 * a double-forked daemon) is still found and killed at job end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { raiseAutogroupNice } from '@helios-ci/sdk/autogroup';
import { groupAlive, isAlive, signalGroup } from '@helios-ci/sdk/process-liveness';
import { killTracked, killTrackedNow, TRACKING_ENV } from '@helios-ci/sdk/process-tracking';
import type { Connection } from './connection.js';
import { CommandState, OutputPipe } from './output.js';

export interface ProcessResult {
  /** Exit code, or null when killed by a signal. */
  exit: number | null;
  signal: NodeJS.Signals | null;
  /** Why the agent killed it, if it did. */
  killed: 'timeout' | 'cancel' | null;
  /** spawn() itself failed (shell not found, cwd missing). */
  spawnError: string | null;
}

export interface RunOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  state: CommandState;
  conn: Connection;
  timeoutMs: number | null;
  killGraceMs: number;
  groups: ProcessGroups;
  /** Registers the kill function for cancel; returns an unregister function. */
  onKillable(kill: (why: 'timeout' | 'cancel') => void): () => void;
}

export { isAlive };

/** A marker for an agent started without one (no runtime scan will look for it; the agent's own does). */
export function newTrackingId(): string {
  return `agent-${randomBytes(8).toString('hex')}`;
}

/**
 * Every process group the agent started, and every process carrying its tracking marker; all are
 * killed at job end (background processes and daemons included).
 */
export class ProcessGroups {
  private readonly groups = new Set<number>();
  constructor(
    private readonly pgidFile: string | null,
    readonly trackingId: string,
  ) {}

  add(pgid: number): void {
    this.groups.add(pgid);
    // The runtime reads this file to kill step groups even if the agent itself was SIGKILLed.
    if (this.pgidFile) {
      try {
        appendFileSync(this.pgidFile, `${pgid}\n`);
      } catch {
        /* best effort */
      }
    }
  }

  /** SIGTERM every group, SIGKILL what is left after the grace period. */
  async killAll(graceMs: number): Promise<void> {
    const live = [...this.groups].filter(groupAlive);
    for (const g of live) signalGroup(g, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (live.some(groupAlive) && Date.now() < deadline) await sleep(25);
    for (const g of live) signalGroup(g, 'SIGKILL');
    // What left its group (setsid, double fork) still has the marker; the agent itself is excluded.
    await killTracked(this.trackingId, { graceMs });
  }

  killAllNow(): void {
    for (const g of this.groups) signalGroup(g, 'SIGKILL');
    killTrackedNow(this.trackingId);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long output may stay silent after the main process exited before a background holder is cut off. */
const DRAIN_IDLE_MS = 150;

export function runProcess(o: RunOptions): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolve) => {
    let child;
    try {
      // The marker is set last: a job's env cannot clear it (GitHub lets RUNNER_TRACKING_ID be emptied; we do not).
      const env = { ...o.env, [TRACKING_ENV]: o.groups.trackingId };
      child = spawn(o.argv[0]!, o.argv.slice(1), { cwd: o.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ exit: null, signal: null, killed: null, spawnError: (err as Error).message });
      return;
    }
    let killed: 'timeout' | 'cancel' | null = null;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exited = false;
    let settled = false;
    let spawnError: string | null = null;
    const pgid = child.pid;
    if (pgid) o.groups.add(pgid);
    // The step's new session would otherwise compete at nice 0 under autogroup scheduling, whatever
    // niceness the agent was given: it takes the agent's.
    const nice = getPriority();
    if (pgid && nice > 0) raiseAutogroupNice(pgid, nice, () => !exited);

    const pipes = [
      { stream: child.stdout, pipe: new OutputPipe(o.state, 'STDOUT'), ended: false, paused: false },
      { stream: child.stderr, pipe: new OutputPipe(o.state, 'STDERR'), ended: false, paused: false },
    ];
    let lastData = Date.now();
    let idleTimer: NodeJS.Timeout | null = null;

    const finish = () => {
      if (settled) return;
      settled = true;
      if (idleTimer) clearInterval(idleTimer);
      clearTimeout(timeoutTimer);
      unregister();
      for (const p of pipes) {
        p.pipe.end();
        if (!p.ended) p.stream.destroy();
      }
      resolve({ exit: exitCode, signal: exitSignal, killed, spawnError });
    };
    const maybeDone = () => {
      if (!exited) return;
      if (pipes.every((p) => p.ended)) finish();
    };

    for (const p of pipes) {
      p.stream.on('data', (chunk: Buffer) => {
        lastData = Date.now();
        p.pipe.write(chunk);
        if (o.conn.congested && !p.paused) {
          // Flow control: stop reading the pipe (the step blocks on write) until the server caught up.
          p.paused = true;
          p.stream.pause();
          void o.conn.whenClear().then(() => {
            p.paused = false;
            lastData = Date.now();
            if (!settled) p.stream.resume();
          });
        }
      });
      p.stream.on('end', () => {
        p.ended = true;
        maybeDone();
      });
      p.stream.on('error', () => {
        p.ended = true;
        maybeDone();
      });
    }

    const kill = (why: 'timeout' | 'cancel') => {
      if (killed || exited || !pgid) {
        if (!killed && pgid) killed = why;
        if (pgid) signalGroup(pgid, 'SIGTERM');
        return;
      }
      killed = why;
      signalGroup(pgid, 'SIGTERM');
      const deadline = Date.now() + o.killGraceMs;
      const poll = setInterval(() => {
        if (!groupAlive(pgid)) {
          clearInterval(poll);
          return;
        }
        if (Date.now() >= deadline) {
          signalGroup(pgid, 'SIGKILL');
          clearInterval(poll);
        }
      }, 25);
    };
    const unregister = o.onKillable(kill);
    const timeoutTimer = o.timeoutMs !== null ? setTimeout(() => kill('timeout'), o.timeoutMs) : undefined;

    child.on('error', (err) => {
      spawnError = err.message;
      exited = true;
      for (const p of pipes) p.ended = true;
      finish();
    });
    child.on('exit', (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      if (killed && pgid) {
        // The main process is gone; make sure nothing else of the group outlives the grace period.
        const deadline = Date.now() + o.killGraceMs;
        const poll = setInterval(() => {
          if (!groupAlive(pgid) || Date.now() >= deadline) {
            signalGroup(pgid, 'SIGKILL');
            clearInterval(poll);
          }
        }, 25);
      }
      maybeDone();
      if (settled) return;
      // A background process may hold the pipes open; stop waiting once output has been quiet for a
      // moment (not counting time we paused reading ourselves).
      idleTimer = setInterval(() => {
        if (pipes.some((p) => p.paused)) {
          lastData = Date.now();
          return;
        }
        if (Date.now() - lastData >= DRAIN_IDLE_MS) finish();
      }, 25);
    });
  });
}
