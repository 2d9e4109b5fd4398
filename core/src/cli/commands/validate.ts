import { isAbsolute, relative, resolve } from 'node:path';
import { HeliosError, type PlanProblem } from '@helios-ci/sdk';
import type { Command } from '../command.js';
import { discoverWorkflowFiles, formatProblem, readWorkflowFiles, repoRoot, shellWarnings, sortProblems, validateWorkflow, WORKFLOW_DIRS, workingTreeReader } from '../../workflow/index.js';

export const validateCommand: Command = {
  path: ['validate'],
  summary: 'check workflow files the way GitHub reads them; one line per problem',
  help: `Usage: helios validate [PATH...] [--json]

Checks workflow files with GitHub's own parser and schema, plus what Helios refuses (other
marketplace actions, pull_request_target, needs cycles, bad matrices, missing local actions).
PATH is a workflow file or a folder of them; default: ${WORKFLOW_DIRS.join(' and ')} of the
repository containing the current directory. Local composite actions are read from that repository.

Prints one line per problem, "file:line:col: message"; exit 1 if there are any. Warnings
("file:line:col: warning: message", e.g. a shell: that names no known shell and no earlier
vmactions step provides) are printed too but do not change the exit code.

Options:
  --json   print {"files": [...], "problems": [{file, line, col, message, code}], "warnings": [...]} instead`,
  options: { json: { type: 'boolean' } },
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
    for (const file of readable.files) {
      problems.push(...(await validateWorkflow(file, read)));
      warnings.push(...(await shellWarnings(file)));
    }
    problems = sortProblems(problems);
    warnings = sortProblems(warnings);
    if (args.values.json) {
      io.stdout.write(`${JSON.stringify({ files, problems, warnings })}\n`);
    } else if (problems.length || warnings.length) {
      io.stdout.write(warnings.map((p) => `${formatProblem({ ...p, message: `warning: ${p.message}` })}\n`).join(''));
      io.stdout.write(problems.map((p) => `${formatProblem(p)}\n`).join(''));
      if (!problems.length) io.stdout.write(`ok: ${files.length} workflow file${files.length === 1 ? '' : 's'}, no problems (${warnings.length} warning${warnings.length === 1 ? '' : 's'})\n`);
    } else {
      io.stdout.write(`ok: ${files.length} workflow file${files.length === 1 ? '' : 's'}, no problems\n`);
    }
    return problems.length ? 1 : 0;
  },
};
