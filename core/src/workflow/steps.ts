import { MAX_TIMER_MS, type PlanProblem, type Step } from '@helios-ci/sdk';
import { isBoolean, isNumber, isSequence, type TemplateToken } from './vendor/workflowParser.js';
import { builtinAction, isLocalAction, unsupportedActionReason } from './builtinActions.js';
import type { ActionLoader } from './compositeAction.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import { problem, ProblemCode } from './problems.js';
import { at, field, type TokenReader } from './tokens.js';
import { vmactionsShell, vmactionsSteps } from './vmactionsShim.js';

/** Composite actions may use composite actions; GitHub stops at the same depth. */
const MAX_COMPOSITE_DEPTH = 9;

export interface StepScope {
  /** File the steps are written in: the workflow, or an action.yml. */
  file: string;
  workflowName: string;
  jobKey: string;
  reader: TokenReader;
  ctx: PlanContexts;
  actions: ActionLoader;
  problems: PlanProblem[];
  /** Local actions being expanded, outermost first (recursion guard). */
  chain: string[];
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.trim();
}

/**
 * The longest timeout-minutes: the server and agent turn minutes into a timer, and Node's timers
 * hold at most 2^31-1 ms (about 24.8 days); a longer one fires at once.
 */
export const MAX_TIMEOUT_MINUTES = Math.floor(MAX_TIMER_MS / 60_000);
/** What a timeout-minutes problem says the value must be. */
export const TIMEOUT_RANGE = `a number greater than 0 and at most ${MAX_TIMEOUT_MINUTES} (about 24.8 days)`;

/** A timeout in minutes, evaluated at plan time if written as an expression; 'invalid' outside (0, MAX_TIMEOUT_MINUTES]. */
export function planNumber(token: TemplateToken | undefined, reader: TokenReader, ctx: PlanContexts): number | null | 'later' | 'invalid' {
  if (!token) return null;
  let n: number;
  if (isNumber(token)) n = token.value;
  else {
    const r = evaluateTemplate(reader.text(token) ?? '', ctx);
    if (!r) return 'later';
    n = typeof r.value === 'number' ? r.value : Number(r.value);
  }
  return Number.isFinite(n) && n > 0 && n <= MAX_TIMEOUT_MINUTES ? n : 'invalid';
}

function continueOnError(token: TemplateToken | undefined, reader: TokenReader, ctx: PlanContexts): boolean | string {
  if (!token) return false;
  if (isBoolean(token)) return token.value;
  const text = reader.text(token) ?? 'false';
  const r = evaluateTemplate(text, ctx);
  if (r && typeof r.value === 'boolean') return r.value;
  return text;
}

/** Turns a `steps:` list into plan steps, expanding local composite actions. */
export async function planSteps(stepsToken: TemplateToken | undefined, scope: StepScope): Promise<Step[]> {
  if (!stepsToken || !isSequence(stepsToken)) return [];
  const out: Step[] = [];
  let index = 0;
  for (const token of stepsToken) {
    index++;
    const step = await planStep(token, index, scope);
    if (Array.isArray(step)) out.push(...step);
    else if (step) out.push(step);
  }
  return out;
}

async function planStep(token: TemplateToken, index: number, scope: StepScope): Promise<Step | Step[] | null> {
  const { reader, file } = scope;
  const text = (key: string) => reader.text(field(token, key));
  const uses = text('uses');
  const run = text('run');
  const written = text('name');
  const id = text('id') ?? `__${index}`;
  const name = written ?? (run !== undefined ? `Run ${firstLine(run)}` : `Run ${uses ?? ''}`);
  const timeout = planNumber(field(token, 'timeout-minutes'), reader, scope.ctx);
  const inAction = scope.chain.at(-1);
  if (timeout === 'invalid' || timeout === 'later') {
    scope.problems.push(problem(file, ProblemCode.expression, `timeout-minutes of step "${name}" in ${inAction ? `action ${inAction}` : `job "${scope.jobKey}"`} must be ${TIMEOUT_RANGE}, known when the run is planned (literal, matrix, inputs or github values)`, at(field(token, 'timeout-minutes'))));
  }
  const common = {
    id,
    name,
    if: text('if') ?? null,
    env: reader.stringMap(field(token, 'env')),
    continueOnError: continueOnError(field(token, 'continue-on-error'), reader, scope.ctx),
    timeoutMinutes: typeof timeout === 'number' ? timeout : null,
  };
  if (run !== undefined) {
    return { ...common, kind: 'run', run, shell: vmactionsShell(scope, text('shell') ?? null), workingDirectory: text('working-directory') ?? null };
  }
  if (uses === undefined) return null; // GitHub's schema check has already reported the step.
  const withMap = reader.stringMap(field(token, 'with'));
  const builtin = builtinAction(uses);
  if (builtin) return { ...common, kind: 'builtin', action: builtin, uses, with: withMap };
  const shimmed = vmactionsSteps(uses, token, common, index, scope);
  if (shimmed) return shimmed;
  // Inside a composite action the problem belongs to the action's file, whatever job called it: said
  // once (identical problems are merged), not once per calling job.
  const where = inAction ? `action ${inAction}, step "${name}" (step ${index})` : `workflow "${scope.workflowName}", job "${scope.jobKey}", step "${name}" (step ${index})`;
  if (!isLocalAction(uses)) {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${unsupportedActionReason(uses)}`, at(field(token, 'uses'))));
    return null;
  }
  if (scope.chain.includes(uses) || scope.chain.length >= MAX_COMPOSITE_DEPTH) {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, which ${scope.chain.includes(uses) ? 'uses itself through' : 'nests more than ' + MAX_COMPOSITE_DEPTH + ' levels of'} local composite actions (${[...scope.chain, uses].join(' → ')}); break the chain`, at(field(token, 'uses'))));
    return null;
  }
  const loaded = await scope.actions.load(uses);
  if (!loaded.ok) {
    if (loaded.message) scope.problems.push(problem(file, ProblemCode.action, `${where}: ${loaded.message}`, at(field(token, 'uses'))));
    scope.problems.push(...loaded.problems);
    return null;
  }
  const { action } = loaded;
  const steps = await planSteps(action.steps, { ...scope, file: action.file, reader: action.reader, chain: [...scope.chain, uses] });
  return { ...common, kind: 'composite', uses, with: withMap, inputDefaults: action.inputDefaults, outputs: action.outputs, steps };
}
