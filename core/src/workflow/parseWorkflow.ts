import type { PlanProblem } from '@helios-ci/sdk';
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflowLinear,
  type TemplateToken,
  type TemplateValidationError,
  type WorkflowTemplate,
} from './vendor/workflowParser.js';
import { guardWorkflowInput, MAX_ALIAS_EXPANSIONS, type InputShape } from './inputGuard.js';
import { problem, ProblemCode } from './problems.js';
import { TokenReader } from './tokens.js';
import { findNeedsCycles } from './needsGraph.js';
import { checkTriggers } from './triggers.js';
import type { ColumnShifts } from './flowIndent.js';

export interface ParsedWorkflow {
  file: string;
  /** `name:` of the workflow, or its path as GitHub shows nameless workflows. */
  name: string;
  /** GitHub's token tree (schema-checked); null when the file could not be read at all. */
  root: TemplateToken | null;
  /** GitHub's converted model (events, job ids, needs); null when the file has problems. */
  template: WorkflowTemplate | null;
  reader: TokenReader;
  /** Problems that do not depend on the event: syntax, schema, triggers, needs cycles. */
  problems: PlanProblem[];
  /** What the input guard counted (absent when the file was refused before YAML was read). */
  shape?: InputShape;
  /** Alias expansions GitHub's reader performed: never more than the guard counted. */
  aliasExpansions: number;
  /** Lines padded so the YAML package reads them as GitHub does (flowIndent.ts); problem columns are given back with it. */
  shifts: ColumnShifts;
}

/** GitHub's validation errors as problems: the position from the range, the message without its `file (Line: n, Col: m): ` prefix. */
export function validationProblems(file: string, errors: TemplateValidationError[]): PlanProblem[] {
  const seen = new Set<string>();
  const out: PlanProblem[] = [];
  for (const e of errors) {
    const start = e.range?.start;
    const message = e.rawMessage.replace(/^.*?\(Line: \d+, Col: \d+\): /, '');
    const key = `${start?.line}:${start?.column}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem(file, ProblemCode.schema, message, start ? { line: start.line, col: start.column } : null));
  }
  return out;
}

const NO_ROOT_JOB = 'The workflow must contain at least one job with no dependencies.';

/**
 * Reads one workflow file exactly as GitHub does (its own parser and schema), after refusing input
 * that would crash or hang it. Never throws for bad input: everything wrong becomes a problem.
 */
export async function parseWorkflow(file: string, content: string | Uint8Array): Promise<ParsedWorkflow> {
  const guarded = guardWorkflowInput(file, content);
  if (!guarded.ok) return { file, name: file, root: null, template: null, reader: new TokenReader(new Map()), problems: guarded.problems, ...(guarded.shape && { shape: guarded.shape }), aliasExpansions: 0, shifts: new Map() };
  const reader = new TokenReader(guarded.scalars);
  const parsed = parseWorkflowLinear({ name: file, content: guarded.text }, new NoOperationTraceWriter(), MAX_ALIAS_EXPANSIONS);
  const root = parsed.value ?? null;
  let template: WorkflowTemplate | null = null;
  if (root) template = await convertWorkflowTemplate(parsed.context, root);
  let problems = validationProblems(file, parsed.context.errors.getErrors());
  const nameToken = root ? (root as { find?: (k: string) => TemplateToken | undefined }).find?.('name') : undefined;
  const name = reader.text(nameToken) || file;
  if (root) {
    problems.push(...checkTriggers(file, root));
    if (template) {
      const cycles = findNeedsCycles(
        file,
        (template.jobs ?? []).map((j) => ({ key: j.id.value, needs: (j.needs ?? []).map((n) => n.value), at: j.needs?.[0]?.range ? { line: j.needs[0].range.start.line, col: j.needs[0].range.start.column } : null })),
      );
      // GitHub's parser names the cycle's edges when it sees them; when it only says "no job without
      // dependencies", our message, which names the cycle, replaces it.
      if (cycles.length && !problems.some((p) => p.message.includes('creates a cycle'))) problems = problems.filter((p) => p.message !== NO_ROOT_JOB).concat(cycles);
    }
  }
  return { file, name, root, template: problems.length ? null : template, reader, problems, shape: guarded.shape, aliasExpansions: parsed.aliasExpansions, shifts: guarded.shifts };
}
