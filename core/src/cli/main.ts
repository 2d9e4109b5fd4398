import { parseArgs } from 'node:util';
import { HeliosError, isHeliosError } from '@helios-ci/sdk';
import type { CliIO, Command } from './command.js';
import { commandEntries, loadCommands, type CommandEntry } from './commands/index.js';

const USAGE_HEADER = 'helios — self-hosted CI for illumos hosts, with GitHub Actions workflows\n';

async function overview(): Promise<string> {
  const commands = await loadCommands();
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  const lines = commands.map((c) => `  helios ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `${USAGE_HEADER}\nUsage:\n${lines.join('\n')}\n\nRun "helios <command> --help" for a command's options.\n`;
}

function findCommand(argv: string[]): { entry: CommandEntry; rest: string[] } | null {
  let best: { entry: CommandEntry; rest: string[] } | null = null;
  for (const entry of commandEntries) {
    const n = entry.path.length;
    if (argv.length >= n && entry.path.every((word, i) => argv[i] === word)) {
      if (!best || n > best.entry.path.length) best = { entry, rest: argv.slice(n) };
    }
  }
  return best;
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout.write(await overview());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    io.stdout.write(`helios ${pkg.version}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = commandEntries.filter((c) => c.path[0] === argv[0]);
    io.stderr.write(
      group.length
        ? `error E_USAGE: "helios ${argv.join(' ')}" is not a command; try one of:\n${group.map((c) => `  helios ${c.path.join(' ')}`).join('\n')}\n`
        : `error E_USAGE: unknown command "${argv[0]}"; run "helios --help" for the list\n`,
    );
    return 2;
  }
  const { rest } = found;
  const command = await found.entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`helios ${command.path.join(' ')} — ${command.summary}\n\n${command.help}\n`);
    return 0;
  }
  let args;
  try {
    args = parseArgs({ args: rest, options: command.options, allowPositionals: command.allowPositionals ?? false, strict: true });
  } catch (err) {
    io.stderr.write(`error E_USAGE: ${(err as Error).message}\nRun "helios ${command.path.join(' ')} --help" for its options.\n`);
    return 2;
  }
  try {
    return await command.run(args as never, io);
  } catch (err) {
    printError(err, io);
    return 1;
  }
}

export function printError(err: unknown, io: Pick<CliIO, 'stderr'>): void {
  if (isHeliosError(err)) {
    io.stderr.write(`error ${err.code}: ${err.message}\n`);
  } else {
    const wrapped = new HeliosError('E_INTERNAL', `unexpected failure: ${(err as Error)?.stack ?? String(err)}\nThis is a bug in Helios; please report it with the command you ran`);
    io.stderr.write(`error ${wrapped.code}: ${wrapped.message}\n`);
  }
}
