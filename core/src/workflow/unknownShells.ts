import type { PlanProblem } from '@helios-ci/sdk';
import { isSequence, type TemplateToken } from './vendor/workflowParser.js';
import { parseWorkflow, type ParsedWorkflow } from './parseWorkflow.js';
import type { WorkflowFile } from './plan.js';
import { problem } from './problems.js';
import { at, entries, field } from './tokens.js';
import { vmactionsOs } from './vmactionsShim.js';

/** A `shell:` that names nothing Helios or the machine knows: a warning of `helios validate`, never a plan problem. */
export const UNKNOWN_SHELL_WARNING = 'W_WORKFLOW_SHELL';

/** GitHub's shell names, and programs a custom `{0}` template commonly starts with. */
const KNOWN = new Set(['bash', 'sh', 'python', 'python3', 'pwsh', 'powershell', 'cmd', 'node', 'perl', 'ruby', 'ksh', 'ksh93', 'zsh', 'dash', 'csh', 'tcsh', 'env']);

function known(shell: string, provided: ReadonlySet<string>): boolean {
  const first = shell.trim().split(/\s+/)[0] ?? '';
  if (first.includes('${{')) return true; // decided when the step runs
  if (first.startsWith('/') || first.startsWith('./')) return true; // a program path: the machine's business
  return KNOWN.has(first) || provided.has(first);
}

/**
 * Warnings for `shell:` values (steps and `defaults.run.shell`) that name no known shell and that no
 * earlier `vmactions/<os>-vm` step of the job provides (its `custom-shell-name`, default the OS
 * name): usually a workflow moved from a vmactions runner whose VM step was removed, or a typo.
 */
export function unknownShellWarnings(w: ParsedWorkflow): PlanProblem[] {
  const out: PlanProblem[] = [];
  if (!w.root) return out;
  const check = (token: TemplateToken | undefined, provided: ReadonlySet<string>, where: string) => {
    const shell = w.reader.text(token);
    if (shell === undefined || known(shell, provided)) return;
    const shim = provided.size ? ` (the vmactions steps before it provide ${[...provided].map((s) => `"${s} {0}"`).join(', ')})` : '';
    out.push(problem(w.file, UNKNOWN_SHELL_WARNING, `${where}shell "${shell}" names no known shell${shim}: use bash, sh, python or a "<program> {0}" template, or put the vmactions/<os>-vm step whose custom-shell-name it is before this step`, at(token)));
  };
  check(field(field(field(w.root, 'defaults'), 'run'), 'shell'), new Set(), 'defaults.run: ');
  for (const { key, value: job } of entries(field(w.root, 'jobs'))) {
    const steps = field(job, 'steps');
    const shells = new Set<string>();
    check(field(field(field(job, 'defaults'), 'run'), 'shell'), shells, `job "${key}": defaults.run: `);
    if (!steps || !isSequence(steps)) continue;
    let index = 0;
    for (const step of steps) {
      index++;
      const uses = w.reader.text(field(step, 'uses'));
      const os = uses === undefined ? null : vmactionsOs(uses);
      if (os) shells.add(w.reader.text(field(field(step, 'with'), 'custom-shell-name'))?.trim() || os);
      check(field(step, 'shell'), shells, `job "${key}", step ${index}: `);
    }
  }
  return out;
}

/** The shell warnings of one workflow file (none when it does not parse: validate reports that). */
export async function shellWarnings(file: WorkflowFile): Promise<PlanProblem[]> {
  const w = await parseWorkflow(file.path, file.content);
  return w.problems.length ? [] : unknownShellWarnings(w);
}
