import { MAX_TIMER_MS, type PlanProblem, type Step } from '@helios-ci/sdk';
import { isBoolean, isNumber, isSequence, type TemplateToken } from './vendor/workflowParser.js';
import { builtinAction, isLocalAction, unsupportedActionReason } from './builtinActions.js';
import { parseActionFile, type ActionLoader } from './compositeAction.js';
import { parseRemoteUses, type RemoteUses } from './remoteAction.js';
import { evaluateTemplate, type PlanContexts } from './expressions.js';
import { problem, ProblemCode } from './problems.js';
import { at, field, type TokenReader } from './tokens.js';
import { vmactionsShell, vmactionsSteps } from './vmactionsShim.js';

/** Why a command's check without any action source leaves a remote action unresolved. */
const NO_SOURCE = 'this check has no action source to resolve it with, so its inputs are not checked; the server resolves it through the run\'s forge or actions.sources of helios.yaml';

/** Composite actions may use composite actions (local or remote); GitHub stops at the same depth. */
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
    const remote = parseRemoteUses(uses);
    if (remote && !scope.actions.remote && scope.actions.notes) {
      scope.actions.notes.add({ file, ...at(field(token, 'uses')), uses, resolved: false, why: NO_SOURCE });
      return null;
    }
    if (!remote || !scope.actions.remote) {
      scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${unsupportedActionReason(uses, scope.actions.remote !== null)}`, at(field(token, 'uses'))));
      return null;
    }
    return planRemoteStep(token, remote, uses, where, common, withMap, scope);
  }
  if (scope.chain.includes(uses) || scope.chain.length >= MAX_COMPOSITE_DEPTH) {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, which ${scope.chain.includes(uses) ? 'uses itself through' : 'nests more than ' + MAX_COMPOSITE_DEPTH + ' levels of'} composite actions (${[...scope.chain, uses].join(' → ')}); break the chain`, at(field(token, 'uses'))));
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

type StepCommonFields = Pick<Step, 'id' | 'name' | 'if' | 'env' | 'continueOnError' | 'timeoutMinutes'>;

/** GitHub runs actions written for older Node versions on node20 (its runner forces them since 2024). */
const NODE_USING: Record<string, 'node20' | 'node24'> = { node12: 'node20', node16: 'node20', node20: 'node20', node24: 'node24' };

/** A remote action: resolved to a commit by the host, then planned by its action.yml's `runs.using`. */
async function planRemoteStep(token: TemplateToken, remote: RemoteUses, uses: string, where: string, common: StepCommonFields, withMap: Record<string, string>, scope: StepScope): Promise<Step | null> {
  const { file } = scope;
  const usesAt = at(field(token, 'uses'));
  if (scope.chain.includes(uses) || scope.chain.length >= MAX_COMPOSITE_DEPTH) {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, which ${scope.chain.includes(uses) ? 'uses itself through' : 'nests more than ' + MAX_COMPOSITE_DEPTH + ' levels of'} composite actions (${[...scope.chain, uses].join(' → ')}); break the chain`, usesAt));
    return null;
  }
  const answer = await scope.actions.remote!.load(remote);
  if (!answer.ok) {
    if (answer.unresolved && scope.actions.notes) {
      scope.actions.notes.add({ file, ...usesAt, uses, resolved: false, why: answer.message });
      return null;
    }
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}: ${answer.message}`, usesAt));
    return null;
  }
  const parsed = await parseActionFile(answer.file, answer.content, scope.actions.shifts);
  if (!parsed.ok) {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, whose ${answer.file} is not a valid action file (see the problems reported for it)`, usesAt));
    scope.problems.push(...parsed.problems);
    return null;
  }
  const action = parsed.action;
  if (scope.actions.notes) {
    scope.actions.notes.add({ file, ...usesAt, uses, resolved: true, sha: answer.sha });
    const given = new Set(Object.keys(withMap).map((k) => k.toLowerCase()));
    const missing = action.requiredInputs.filter((name) => !given.has(name.toLowerCase()));
    if (missing.length) {
      const names = missing.map((m) => `"${m}"`).join(', ');
      scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, which requires input${missing.length > 1 ? 's' : ''} ${names} (required: true and no default in ${answer.file}); give ${missing.length > 1 ? 'them' : 'it'} under with: of this step`, usesAt));
    }
  }
  const ref = { repo: `${remote.owner}/${remote.name}`, path: remote.path, ref: remote.ref, sha: answer.sha };
  const using = action.using ?? '';
  const node = NODE_USING[using];
  if (node) {
    const text = (key: string) => action.reader.text(field(action.runs, key));
    const main = text('main');
    if (!main) {
      scope.problems.push(problem(answer.file, ProblemCode.action, `${uses} is a ${using} action without runs.main; the action's author must name its entry point`, action.usingAt));
      return null;
    }
    const pre = text('pre');
    const post = text('post');
    const preIf = text('pre-if');
    const postIf = text('post-if');
    return {
      ...common,
      kind: 'node-action',
      uses,
      action: ref,
      using: node,
      main,
      ...(pre !== undefined && { pre }),
      ...(post !== undefined && { post }),
      ...(preIf !== undefined && { preIf }),
      ...(postIf !== undefined && { postIf }),
      with: withMap,
      inputDefaults: action.inputDefaults,
      requiredInputs: action.requiredInputs,
    };
  }
  if (using === 'composite') {
    const steps = await planSteps(field(action.runs, 'steps'), { ...scope, file: action.file, reader: action.reader, chain: [...scope.chain, uses] });
    return { ...common, kind: 'composite', uses, action: ref, with: withMap, inputDefaults: action.inputDefaults, outputs: action.outputs, steps };
  }
  if (using === 'docker') {
    scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, a container action (runs.using: docker): container actions need Docker, which this runtime does not offer. Use a JavaScript or composite action, or run the tool with run steps`, usesAt));
    return null;
  }
  scope.problems.push(problem(file, ProblemCode.action, `${where} uses ${uses}, whose runs.using is "${using}"; Helios runs node20, node24 (and node12/node16 on node20, as GitHub does) and composite actions`, usesAt));
  return null;
}
