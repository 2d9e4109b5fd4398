import { join, resolve } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { CONFIG_HELP, configOption } from './configOption.js';
import { dataDirOf } from './dataDirOf.js';

function counts(c: { runs: number; jobs: number; logLines: number; logChunks: number }): string {
  return `${c.runs} runs, ${c.jobs} jobs, ${c.logLines} live log lines, ${c.logChunks} compacted log chunks`;
}

export const backupCommand: Command = {
  path: ['backup'],
  summary: 'copy the store (server.dataDir/helios.db) to FILE, online: safe while helios serve runs',
  help: `Usage: helios backup FILE [--config FILE]

Writes one consistent copy of the store with SQLite's online backup API while helios serve keeps
working, checks it (PRAGMA integrity_check), and only then names it FILE (mode 600). An existing
FILE is never overwritten. The store holds runs, jobs, logs, the outbox, caches and artifacts
metadata; cache and artifact contents live in the Storage plugin (back those up with it, e.g.
zfs send), and the admin token is <server.dataDir>/admin-token.

Options:
${CONFIG_HELP}`,
  options: { ...configOption },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1) throw new HeliosError('E_USAGE', 'helios backup takes exactly one FILE: where to write the backup');
    const dataDir = await dataDirOf(args, io);
    const { backupStore } = await import('../../backup/backupStore.js');
    const target = resolve(io.cwd, args.positionals[0]!);
    const facts = await backupStore(join(dataDir, 'helios.db'), target);
    io.stdout.write(`helios backup: ${target} (schema ${facts.version}; ${counts(facts.counts)})\n`);
    return 0;
  },
};

export const restoreCommand: Command = {
  path: ['restore'],
  summary: 'put a backup in place as the store; refuses while helios serve runs',
  help: `Usage: helios restore FILE [--config FILE]

Replaces <server.dataDir>/helios.db with FILE, which must be a Helios store (E_RESTORE_NOT_A_STORE),
no newer than this Helios (E_RESTORE_TOO_NEW) and pass PRAGMA integrity_check (E_RESTORE_DAMAGED).
Refuses while helios serve holds the data dir (E_DATA_DIR_LOCKED: <server.dataDir>/serve.pid names
a live process). The replaced store is kept as helios.db.before-restore-<time>. The next start
migrates an older backup forward.

Options:
${CONFIG_HELP}`,
  options: { ...configOption },
  allowPositionals: true,
  async run(args, io) {
    if (args.positionals.length !== 1) throw new HeliosError('E_USAGE', 'helios restore takes exactly one FILE: the backup to restore');
    const dataDir = await dataDirOf(args, io);
    const { restoreStore } = await import('../../backup/restoreStore.js');
    const result = restoreStore(dataDir, resolve(io.cwd, args.positionals[0]!));
    io.stdout.write(`helios restore: ${join(dataDir, 'helios.db')} restored (schema ${result.version}; ${counts(result.counts)})${result.previous ? `; the previous store is ${result.previous}` : ''}\n`);
    return 0;
  },
};
