/**
 * Stand-in `zfs` executables for the cases real ZFS cannot be made to produce on demand: one that
 * records every argv it is called with, one that answers "dataset is busy" a set number of times
 * before handing over to the real `zfs`.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeZfs {
  /** Path to give as zfsCommand/zpoolCommand. */
  command: string;
  /** Every call so far, one argv (without the command) each. */
  calls(): string[][];
  /** How many busy answers were given. */
  busyAnswers(): number;
  cleanup(): void;
}

/**
 * A recorder: appends its argv as one JSON line and fails with
 * "dataset does not exist", as zfs does for anything on an empty pool.
 */
export function recordingZfs(): FakeZfs {
  const dir = mkdtempSync(join(tmpdir(), 'helios-fakezfs-'));
  const log = join(dir, 'calls.jsonl');
  const command = join(dir, 'zfs');
  writeFileSync(
    command,
    `#!${process.execPath}\nrequire('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\nprocess.stderr.write("cannot open 'x': dataset does not exist\\n");\nprocess.exit(1);\n`,
  );
  chmodSync(command, 0o755);
  return {
    command,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    busyAnswers: () => 0,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Answers "dataset is busy" to the first `times` calls whose first argument is `verb`, then runs `realZfs`. */
export function busyZfs(options: { verb: string; times: number; realZfs: string }): FakeZfs {
  const dir = mkdtempSync(join(tmpdir(), 'helios-busyzfs-'));
  const counter = join(dir, 'busy-count');
  const command = join(dir, 'zfs');
  writeFileSync(counter, '0');
  writeFileSync(
    command,
    `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8'));
if (args[0] === ${JSON.stringify(options.verb)} && n < ${options.times}) {
  fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
  process.stderr.write("cannot " + args[0] + " '" + args[args.length - 1] + "': dataset is busy\\n");
  process.exit(1);
}
const r = require('child_process').spawnSync(${JSON.stringify(options.realZfs)}, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
`,
  );
  chmodSync(command, 0o755);
  return {
    command,
    calls: () => [],
    busyAnswers: () => Number(readFileSync(counter, 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A scripted zfs for what zfs-fuse cannot show (zvols): `answer` is the source of a function
 * `(args) => ({ out?, err?, code? })`; every argv is recorded as with `recordingZfs`.
 */
export function scriptedZfs(answer: string): FakeZfs {
  const dir = mkdtempSync(join(tmpdir(), 'helios-scriptzfs-'));
  const log = join(dir, 'calls.jsonl');
  const command = join(dir, 'zfs');
  writeFileSync(
    command,
    `#!${process.execPath}
const args = process.argv.slice(2);
require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const r = (${answer})(args);
if (r.out) process.stdout.write(r.out);
if (r.err) process.stderr.write(r.err);
process.exit(r.code ?? 0);
`,
  );
  chmodSync(command, 0o755);
  return {
    command,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]) : []),
    busyAnswers: () => 0,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
