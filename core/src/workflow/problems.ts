import type { PlanProblem } from '@helios-ci/sdk';

/** Stable codes of workflow problems (PlanProblem.code); scripts and docs rely on them. */
export const ProblemCode = {
  /** The file is not text Helios can read: binary, not UTF-8, too large. */
  unreadable: 'E_WORKFLOW_UNREADABLE',
  /** YAML syntax (tabs, bad indentation, unclosed flow collections). */
  yaml: 'E_WORKFLOW_YAML',
  /** Alias bombs and absurd nesting: refused before anything expands them. */
  refused: 'E_WORKFLOW_REFUSED',
  /** GitHub's own schema check (unknown keys, missing keys, duplicate keys, bad expressions). */
  schema: 'E_WORKFLOW_SCHEMA',
  trigger: 'E_WORKFLOW_TRIGGER',
  needs: 'E_WORKFLOW_NEEDS',
  matrix: 'E_WORKFLOW_MATRIX',
  runsOn: 'E_WORKFLOW_RUNS_ON',
  action: 'E_WORKFLOW_ACTION',
  expression: 'E_WORKFLOW_EXPRESSION',
  input: 'E_WORKFLOW_INPUT',
  unsupported: 'E_WORKFLOW_UNSUPPORTED',
  /** A workflow or action file is a symlink leading out of the repository: refused unread. */
  symlink: 'E_WORKFLOW_SYMLINK',
  /** Planning took longer (or more memory) than its budget and was stopped. */
  timeout: 'E_WORKFLOW_TIMEOUT',
} as const;

export interface Position {
  line: number;
  col: number;
}

export function problem(file: string, code: string, message: string, at?: Position | null): PlanProblem {
  return at ? { file, line: at.line, col: at.col, message, code } : { file, message, code };
}

/** `file:line:col: message`, the format editors and CI annotations understand. */
export function formatProblem(p: PlanProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  return `${where}: ${p.message}`;
}

/** Problems in file, line, column order, so output is stable whatever order checks ran in. */
export function sortProblems(problems: PlanProblem[]): PlanProblem[] {
  return [...problems].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0),
  );
}
