/**
 * What the job's `actions/checkout` steps will ask for, worked out at "Set up job" — before any step
 * runs — so the agent can fetch all of it while it still holds the clone credential and then drop
 * the credential. A `with:` value counts as known when it names only job-start contexts (github,
 * env, matrix, inputs, needs, vars); one that depends on steps, job status, secrets or the workspace
 * is unknown, and the step falls back to what the mirror has (see CloneMirror.resolve).
 */
import type { BuiltinStep, Step } from '@helios-ci/sdk';
import { interpolate, referencedNames, type EvalScope } from '../expressions.js';
import type { JobContext } from './jobContext.js';
import { expressionScope } from './stepContexts.js';
import type { Frame } from './frame.js';

const JOB_START_CONTEXTS = new Set(['github', 'env', 'matrix', 'inputs', 'needs', 'vars']);
/** Built-in functions of the expression language; hashFiles and the status functions are not job-start. */
const PURE_FUNCTIONS = new Set(['contains', 'startswith', 'endswith', 'format', 'join', 'tojson', 'fromjson']);

/** One checkout step as predicted: its ref (null = the job's sha) and depth (0 = full history). */
export interface PredictedCheckout {
  /** Full step id as the job runner names it (`composite/inner` inside composites). */
  stepId: string;
  /** The ref, or null for the job's own sha; undefined when it cannot be known before the steps run. */
  ref: string | null | undefined;
  /** Why `ref` is undefined, for the step's error message. */
  refUnknownBecause?: string;
  /** The depth; undefined when unknown (the mirror then fetches full history). */
  depth: number | undefined;
  submodules: boolean;
}

export interface CheckoutNeeds {
  checkouts: PredictedCheckout[];
  /** Full history of every branch and tag is needed (some checkout asks fetch-depth 0 or an unknown depth). */
  full: boolean;
}

/** Predicts every checkout step of the job, composites included. */
export function predictCheckouts(job: JobContext, rootFrame: Frame): CheckoutNeeds {
  const checkouts: PredictedCheckout[] = [];
  const walk = (steps: Step[], frame: Frame, inputsKnown: boolean) => {
    for (const step of steps) {
      const id = frame.prefix + step.id;
      if (step.kind === 'builtin' && step.action === 'checkout') checkouts.push(predictOne(job, step, id, frame, inputsKnown));
      else if (step.kind === 'composite') {
        const scope = expressionScope(job, frame, {});
        const inputs: Record<string, string> = {};
        let known = inputsKnown;
        for (const [k, v] of [...Object.entries(step.inputDefaults), ...Object.entries(step.with)]) {
          const r = knownValue(v, scope, inputsKnown);
          if (r.ok) inputs[k] = r.value;
          else known = false;
        }
        walk(step.steps, { ...frame, prefix: `${id}/`, parent: id, steps: {}, inputs }, known);
      }
    }
  };
  walk(job.spec.job.steps, rootFrame, true);
  return { checkouts, full: checkouts.some((c) => c.depth === undefined || c.depth === 0) };
}

function predictOne(job: JobContext, step: BuiltinStep, id: string, frame: Frame, inputsKnown: boolean): PredictedCheckout {
  const stepEnv: Record<string, string> = {};
  let envKnown = true;
  for (const [k, v] of Object.entries(step.env)) {
    const r = knownValue(v, expressionScope(job, frame, stepEnv), inputsKnown);
    if (r.ok) stepEnv[k] = r.value;
    else envKnown = false;
  }
  const scope = expressionScope(job, frame, stepEnv);
  const field = (name: string): { ok: true; value: string | undefined } | { ok: false; why: string } => {
    const raw = step.with[name];
    if (raw === undefined) return { ok: true, value: undefined };
    if (!envKnown && referencedNames(raw).contexts.has('env')) return { ok: false, why: 'it uses the step env, which depends on values only known while the job runs' };
    const r = knownValue(raw, scope, inputsKnown);
    return r.ok ? { ok: true, value: r.value } : { ok: false, why: r.why };
  };
  const ref = field('ref');
  const depthField = field('fetch-depth');
  let depth: number | undefined;
  if (depthField.ok) {
    const n = Number.parseInt(depthField.value ?? '1', 10);
    depth = Number.isInteger(n) && n >= 0 ? n : 1;
  }
  const sub = field('submodules');
  const submodules = !sub.ok || ['true', 'recursive'].includes((sub.value ?? 'false').toLowerCase());
  if (!ref.ok) return { stepId: id, ref: undefined, refUnknownBecause: ref.why, depth, submodules };
  return { stepId: id, ref: ref.value || null, depth, submodules };
}

/** The value of `template` if it names only job-start contexts and pure functions. */
function knownValue(template: string, scope: EvalScope, inputsKnown: boolean): { ok: true; value: string } | { ok: false; why: string } {
  let names;
  try {
    names = referencedNames(template);
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
  const late = [...names.contexts].filter((c) => !JOB_START_CONTEXTS.has(c) || (c === 'inputs' && !inputsKnown));
  if (late.length > 0) return { ok: false, why: `it depends on ${late.map((c) => `\`${c}\``).join(', ')}, known only while the job runs` };
  const impure = [...names.functions].filter((f) => !PURE_FUNCTIONS.has(f));
  if (impure.length > 0) return { ok: false, why: `it calls ${impure.map((f) => `${f}()`).join(', ')}, known only while the job runs` };
  try {
    return { ok: true, value: interpolate(template, scope) };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}
