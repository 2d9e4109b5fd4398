import { isAbsolute, relative, resolve } from 'node:path';
import { HeliosError, type PlanProblem } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { discoverWorkflowFiles, formatProblem, readWorkflowFiles, RemoteActionNotes, repoRoot, shellWarnings, sortProblems, validateWorkflow, WORKFLOW_DIRS, workingTreeReader } from '../../workflow/index.js';
import { CONFIG_HELP, configOption } from './configOption.js';
import { remoteActionLine, remoteActionSummary, withCommandLineActions } from './remoteActionOutput.js';

export const validateCommand: Command = {
  path: ['validate'],
  summary: 'check workflow files the way GitHub reads them; one line per problem',
  help: `Usage: helios validate [PATH...] [--json] [--config FILE]

Checks workflow files with GitHub's own parser and schema, plus what Helios refuses (container
actions, pull_request_target, needs cycles, bad matrices, missing local actions).
PATH is a workflow file or a folder of them; default: ${WORKFLOW_DIRS.join(' and ')} of the
repository containing the current directory. Local composite actions are read from that repository.

Remote actions (uses: owner/repo[/path]@ref) are resolved through the { type: dir } sources
(git mirrors) in actions.sources of helios.yaml, with its actions.allow and requireSha; a resolved
action's action.yml is checked and the inputs it requires must be given. One that no such directory
has, while a forge source might (the server asks the run's forge), is left unresolved: a note, not
a problem, and its inputs are not checked.

Prints one line per problem, "file:line:col: message"; exit 1 if there are any. Warnings
("file:line:col: warning: message", e.g. a shell: that names no known shell and no earlier
vmactions step provides) and notes ("file:line:col: note: message", a remote action resolved or
not) are printed too but do not change the exit code.

Options:
${CONFIG_HELP}
  --json   print {"files": [...], "problems": [{file, line, col, message, code}], "warnings": [...],
           "remoteActions": [{file, line, col, uses, resolved, sha | why}]} instead`,
  options: { json: { type: 'boolean' }, ...configOption },
  allowPositionals: true,
  async run(args, io) {
    const root = repoRoot(io.cwd);
    const targets = args.positionals.length ? args.positionals.map((p) => relative(root, isAbsolute(p) ? p : resolve(io.cwd, p)) || '.') : WORKFLOW_DIRS;
    const files = await discoverWorkflowFiles(targets, root);
    if (files.length === 0) {
      throw new HeliosError('E_WORKFLOW_NONE', `no workflow files (*.yml, *.yaml) found in ${targets.join(', ')} under ${root}; pass the files or folders to check`);
    }
    const read = workingTreeReader(root);
    // Symlinks out of the repository are refused unread (a problem naming the path, never the target's text).
    const readable = await readWorkflowFiles(root, files);
    let problems: PlanProblem[] = [...readable.problems];
    let warnings: PlanProblem[] = [];
    const notes = new RemoteActionNotes();
    await withCommandLineActions(args, io, async (actions) => {
      for (const file of readable.files) {
        problems.push(...(await validateWorkflow(file, read, { loadRemoteAction: actions.load, remoteActionNotes: notes })));
        warnings.push(...(await shellWarnings(file)));
      }
    });
    problems = sortProblems(problems);
    warnings = sortProblems(warnings);
    const remoteActions = notes.list();
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify({ files, problems, warnings, remoteActions })}\n`);
    } else {
      io.stdout.write(remoteActions.map((n) => `${remoteActionLine(n)}\n`).join(''));
      io.stdout.write(warnings.map((p) => `${formatProblem({ ...p, message: `warning: ${p.message}` })}\n`).join(''));
      io.stdout.write(problems.map((p) => `${formatProblem(p)}\n`).join(''));
      const besides = [...(warnings.length ? [`${warnings.length} warning${warnings.length === 1 ? '' : 's'}`] : []), ...(remoteActions.length ? [remoteActionSummary(remoteActions)] : [])];
      if (!problems.length) io.stdout.write(`ok: ${files.length} workflow file${files.length === 1 ? '' : 's'}, no problems${besides.length ? ` (${besides.join('; ')})` : ''}\n`);
    }
    return problems.length ? 1 : 0;
  },
};
