import type { CliIO, ParsedArgs } from '../command.js';
import { CommandLineActions } from '../../actions-source/commandLineActions.js';
import { createLogger, MemoryLogSink } from '../../kernel/logger.js';
import { Redactor } from '../../kernel/redactor.js';
import { formatProblem, type RemoteActionNote } from '../../workflow/index.js';
import { actionsConfigFrom } from './configOption.js';

/** Runs `check` with the remote actions helios.yaml lets this command resolve; the action cache it made is removed after. */
export async function withCommandLineActions<T>(args: ParsedArgs, io: CliIO, check: (actions: CommandLineActions) => Promise<T>): Promise<T> {
  const { actions, file } = actionsConfigFrom(args, io);
  const logger = createLogger({ name: 'cli', sink: new MemoryLogSink(), redactor: new Redactor() });
  const opened = await CommandLineActions.open(actions, file, logger);
  try {
    return await check(opened);
  } finally {
    await opened.close();
  }
}

/** `file:line:col: note: …`: a remote action resolved to its commit, or why it was not. */
export function remoteActionLine(n: RemoteActionNote): string {
  const message = n.resolved ? `note: remote action ${n.uses} resolved to ${n.sha}; its inputs are checked` : `note: remote action ${n.uses} not resolved: ${n.why}`;
  return formatProblem({ file: n.file, ...(n.line !== undefined && { line: n.line }), ...(n.col !== undefined && { col: n.col }), message, code: '' });
}

/** `2 remote actions not resolved, inputs not checked`, `1 remote action resolved`, or '' without any. */
export function remoteActionSummary(notes: RemoteActionNote[]): string {
  const unresolved = notes.filter((n) => !n.resolved).length;
  const resolved = notes.length - unresolved;
  const plural = (n: number) => `${n} remote action${n === 1 ? '' : 's'}`;
  return [...(resolved ? [`${plural(resolved)} resolved`] : []), ...(unresolved ? [`${plural(unresolved)} not resolved, inputs not checked`] : [])].join(', ');
}
