import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { Expr } from '@actions/expressions';

/** The contexts and functions DESIGN §6 allows in workflow expressions. */
export const EXPRESSION_CONTEXTS = ['github', 'env', 'vars', 'secrets', 'matrix', 'needs', 'steps', 'job', 'runner', 'inputs', 'strategy'];
const STATUS_FUNCTIONS = [
  { name: 'success', description: '', minArgs: 0, maxArgs: 0 },
  { name: 'failure', description: '', minArgs: 0, maxArgs: 0 },
  { name: 'always', description: '', minArgs: 0, maxArgs: 0 },
  { name: 'cancelled', description: '', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', description: '', minArgs: 1, maxArgs: 255 },
];
/** Functions whose value exists only while steps run, on the agent. */
const STEP_TIME_FUNCTIONS = new Set(['success', 'failure', 'always', 'cancelled', 'hashfiles']);

export function parseExpression(source: string): Expr {
  const lexed = new Lexer(source).lex();
  return new Parser(lexed.tokens, EXPRESSION_CONTEXTS, STATUS_FUNCTIONS as never).parse();
}

/** Plan-time values: only what is known before any job runs. */
export interface PlanContexts {
  github: Record<string, unknown>;
  inputs: Record<string, unknown>;
  matrix?: Record<string, unknown> | null;
  strategy?: Record<string, unknown>;
  /** `inputs` exist only once a caller passes them (validating a workflow that only runs when called). */
  inputsUnknown?: boolean;
}

interface Walk {
  contexts: Set<string>;
  functions: Set<string>;
  /** `secrets.NAME` / `secrets['NAME']`. */
  secrets: Set<string>;
  /** First property read from `github` (`github.ref` → `ref`); `*` when not a literal. */
  githubProps: Set<string>;
}

function walk(expr: Expr, acc: Walk): void {
  const node = expr as unknown as Record<string, unknown>;
  const name = expr.constructor.name;
  if (name === 'ContextAccess') {
    acc.contexts.add(String((node.name as { lexeme: string }).lexeme).toLowerCase());
    return;
  }
  if (name === 'IndexAccess') {
    const target = node.expr as Expr;
    const index = node.index as Expr;
    if (target.constructor.name === 'ContextAccess') {
      const ctx = String(((target as unknown as { name: { lexeme: string } }).name).lexeme).toLowerCase();
      const key = index.constructor.name === 'Literal' ? (index as unknown as { literal: { value?: unknown } }).literal.value : undefined;
      if (ctx === 'secrets') typeof key === 'string' ? acc.secrets.add(key) : acc.secrets.add('*');
      if (ctx === 'github') acc.githubProps.add(typeof key === 'string' ? key.toLowerCase() : '*');
    }
    walk(target, acc);
    walk(index, acc);
    return;
  }
  if (name === 'FunctionCall') {
    acc.functions.add(String((node.functionName as { lexeme: string }).lexeme).toLowerCase());
    for (const a of node.args as Expr[]) walk(a, acc);
    return;
  }
  for (const key of ['expr', 'left', 'right', 'group']) if (node[key]) walk(node[key] as Expr, acc);
  if (Array.isArray(node.args)) for (const a of node.args as Expr[]) walk(a, acc);
}

export function analyse(source: string): Walk {
  const acc: Walk = { contexts: new Set(), functions: new Set(), secrets: new Set(), githubProps: new Set() };
  walk(parseExpression(source), acc);
  return acc;
}

/**
 * True when the expression only reads what exists at plan time: `inputs`, `matrix` (when given),
 * `strategy`, and the `github` fields the event provides. Anything else (needs, steps, secrets, env,
 * runner, job, vars, hashFiles, status functions) stays unevaluated for later.
 */
export function isPlanTimeEvaluable(source: string, ctx: PlanContexts): boolean {
  const a = analyse(source);
  for (const c of a.contexts) {
    if ((c === 'inputs' && !ctx.inputsUnknown) || c === 'strategy') continue;
    if (c === 'matrix' && ctx.matrix) continue;
    if (c === 'github' && [...a.githubProps].every((p) => p in ctx.github)) continue;
    return false;
  }
  for (const f of a.functions) if (STEP_TIME_FUNCTIONS.has(f)) return false;
  return true;
}

export function evaluateExpression(source: string, ctx: PlanContexts): unknown {
  const dict = new data.Dictionary();
  dict.add('github', toData(ctx.github));
  dict.add('inputs', toData(ctx.inputs));
  dict.add('matrix', toData(ctx.matrix ?? {}));
  dict.add('strategy', toData(ctx.strategy ?? {}));
  const result = new Evaluator(parseExpression(source), dict).evaluate();
  return JSON.parse(JSON.stringify(result, data.replacer)) as unknown;
}

function toData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

const TEMPLATE = /\$\{\{([\s\S]*?)\}\}/g;

export function hasExpression(text: string): boolean {
  return text.includes('${{');
}

/** Every `${{ }}` body in a string. */
export function expressionsIn(text: string): string[] {
  return [...text.matchAll(TEMPLATE)].map((m) => m[1]!.trim());
}

/** GitHub's coercion of an expression result into text inside a string. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Evaluates a string with `${{ }}` parts when all of them are plan-time evaluable; returns null
 * when some part must wait (the caller then keeps the text as written). A whole-string expression
 * keeps its type (`${{ fromJSON('[1]') }}` is an array).
 */
export function evaluateTemplate(text: string, ctx: PlanContexts): { value: unknown } | null {
  const bodies = expressionsIn(text);
  if (bodies.length === 0) return { value: text };
  if (!bodies.every((b) => isPlanTimeEvaluable(b, ctx))) return null;
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(text);
  if (whole && bodies.length === 1) return { value: evaluateExpression(whole[1]!.trim(), ctx) };
  return { value: text.replace(TEMPLATE, (_, body: string) => toText(evaluateExpression(body.trim(), ctx))) };
}

/** Secret names read by a text's expressions; a bare `if:` condition is an expression without `${{ }}`. */
export function secretNamesIn(text: string, bareCondition = false): string[] {
  const bodies = bareCondition && !hasExpression(text) ? [text] : expressionsIn(text);
  const names = new Set<string>();
  for (const b of bodies) {
    try {
      for (const s of analyse(b).secrets) names.add(s);
    } catch {
      // Syntax errors are reported by the schema check; nothing to collect from a broken expression.
    }
  }
  return [...names];
}
