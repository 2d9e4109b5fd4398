/**
 * `${{ }}` evaluation on the agent, at step time, with @actions/expressions (GitHub's own evaluator)
 * plus the runner-side functions: status functions and hashFiles (computed on the workspace).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { Evaluator, Lexer, Parser, data } from '@actions/expressions';
import { TokenType } from '@actions/expressions/lexer';
import { truthy } from '@actions/expressions/result';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';

export const CONTEXT_NAMES = ['github', 'env', 'vars', 'secrets', 'matrix', 'needs', 'steps', 'job', 'runner', 'inputs', 'strategy'];

export type JobStatus = 'success' | 'failure' | 'cancelled';

export interface EvalScope {
  contexts: Record<string, unknown>;
  /** Status the status functions see (`success()` = 'success' and not cancelled). */
  status: JobStatus;
  cancelled: boolean;
  workspace: string;
}

export class ExpressionFailure extends Error {}

function toData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

function functions(scope: EvalScope): Map<string, FunctionDefinition> {
  const fns = new Map<string, FunctionDefinition>();
  const bool = (b: boolean) => new data.BooleanData(b);
  fns.set('success', { name: 'success', minArgs: 0, maxArgs: 0, call: () => bool(scope.status === 'success' && !scope.cancelled) });
  fns.set('failure', { name: 'failure', minArgs: 0, maxArgs: 0, call: () => bool(scope.status === 'failure' && !scope.cancelled) });
  fns.set('cancelled', { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => bool(scope.cancelled) });
  fns.set('always', { name: 'always', minArgs: 0, maxArgs: 0, call: () => bool(true) });
  fns.set('hashfiles', {
    name: 'hashFiles',
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => new data.StringData(hashFiles(scope.workspace, args.map((a) => a.coerceString()))),
  });
  return fns;
}

const FUNCTION_INFOS = [
  { name: 'success', minArgs: 0, maxArgs: 0 },
  { name: 'failure', minArgs: 0, maxArgs: 0 },
  { name: 'cancelled', minArgs: 0, maxArgs: 0 },
  { name: 'always', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', minArgs: 1, maxArgs: 255 },
];

export function evaluate(expression: string, scope: EvalScope): data.ExpressionData {
  try {
    const lexed = new Lexer(expression).lex();
    const parsed = new Parser(lexed.tokens, CONTEXT_NAMES, FUNCTION_INFOS).parse();
    const ctx = new data.Dictionary();
    // Converting a context costs a JSON round trip; only the ones the expression names are needed.
    const lower = expression.toLowerCase();
    for (const name of CONTEXT_NAMES) ctx.add(name, lower.includes(name) ? toData(scope.contexts[name] ?? {}) : new data.Dictionary());
    return new Evaluator(parsed, ctx, functions(scope)).evaluate();
  } catch (err) {
    throw new ExpressionFailure(`cannot evaluate \${{ ${expression} }}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Finds the end of a `${{ … }}` body, skipping `}}` inside single-quoted string literals. */
function closingBraces(text: string, from: number): number {
  let inString = false;
  for (let i = from; i < text.length - 1; i++) {
    const c = text[i];
    if (c === "'") {
      if (inString && text[i + 1] === "'") i++;
      else inString = !inString;
    } else if (!inString && c === '}' && text[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

function asString(d: data.ExpressionData): string {
  if (d.kind === data.Kind.Dictionary || d.kind === data.Kind.Array) return JSON.stringify(d, data.replacer, 2);
  return d.coerceString();
}

/** Replaces every `${{ expr }}` in a template string with its string value. */
export function interpolate(template: string, scope: EvalScope): string {
  if (!template.includes('${{')) return template;
  let out = '';
  let pos = 0;
  for (;;) {
    const open = template.indexOf('${{', pos);
    if (open < 0) break;
    const close = closingBraces(template, open + 3);
    if (close < 0) throw new ExpressionFailure(`unterminated \${{ in ${JSON.stringify(template.slice(open, open + 40))}`);
    out += template.slice(pos, open) + asString(evaluate(template.slice(open + 3, close).trim(), scope));
    pos = close + 2;
  }
  return out + template.slice(pos);
}

/**
 * The contexts and functions the `${{ }}` parts of a template name (lower case), from the lexer's
 * tokens: an identifier not after a `.` is a context, or a function when a `(` follows.
 */
export function referencedNames(template: string): { contexts: Set<string>; functions: Set<string> } {
  const contexts = new Set<string>();
  const functions = new Set<string>();
  let pos = 0;
  for (;;) {
    const open = template.indexOf('${{', pos);
    if (open < 0) break;
    const close = closingBraces(template, open + 3);
    if (close < 0) throw new ExpressionFailure(`unterminated \${{ in ${JSON.stringify(template.slice(open, open + 40))}`);
    const tokens = new Lexer(template.slice(open + 3, close)).lex().tokens;
    tokens.forEach((t, i) => {
      if (t.type !== TokenType.IDENTIFIER || tokens[i - 1]?.type === TokenType.DOT) return;
      (tokens[i + 1]?.type === TokenType.LEFT_PAREN ? functions : contexts).add(t.lexeme.toLowerCase());
    });
    pos = close + 2;
  }
  return { contexts, functions };
}

const STATUS_FN = /\b(success|failure|always|cancelled)\s*\(/i;

/**
 * A step/job `if:`. Written with or without `${{ }}`; without a status function it means
 * `success() && (expr)`, as on GitHub.
 */
export function evaluateCondition(condition: string | null, scope: EvalScope): boolean {
  let expr = (condition ?? '').trim();
  // The default (no `if:`) is success(): answered without building an evaluator.
  if (expr === '') return scope.status === 'success' && !scope.cancelled;
  const whole = /^\$\{\{([\s\S]*)\}\}$/.exec(expr);
  if (whole && closingBraces(expr, 3) === expr.length - 2) expr = whole[1]!.trim();
  else if (expr.includes('${{')) expr = `'${interpolate(expr, scope).replace(/'/g, "''")}'`;
  if (!STATUS_FN.test(expr)) expr = `success() && (${expr})`;
  return truthy(evaluate(expr, scope));
}

/** A value that may be boolean or an expression (continue-on-error). */
export function evaluateFlag(value: boolean | string, scope: EvalScope): boolean {
  if (typeof value === 'boolean') return value;
  const v = interpolate(value, scope).trim().toLowerCase();
  return v === 'true';
}

// ---- hashFiles -------------------------------------------------------------------------------

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        if (pattern[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

function walk(dir: string, root: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === '.git') continue;
      walk(full, root, out);
    } else if (e.isFile() || (e.isSymbolicLink() && statSafe(full))) {
      out.push(relative(root, full).split(sep).join('/'));
    }
  }
}

function statSafe(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * GitHub's hashFiles: files under the workspace matching the patterns (`!` excludes), sorted by
 * path; the SHA-256 of the concatenated SHA-256 digests of each file; '' when nothing matches.
 */
export function hashFiles(workspace: string, patterns: string[]): string {
  const root = resolve(workspace);
  const rules = patterns
    .flatMap((p) => p.split('\n'))
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const negate = p.startsWith('!');
      let body = negate ? p.slice(1) : p;
      if (body.startsWith('/')) body = relative(root, body).split(sep).join('/');
      body = body.replace(/^\.\//, '');
      return { negate, re: globToRegExp(body) };
    });
  const files: string[] = [];
  walk(root, root, files);
  files.sort();
  const outer = createHash('sha256');
  let count = 0;
  for (const f of files) {
    let included = false;
    for (const r of rules) if (r.re.test(f)) included = !r.negate;
    if (!included) continue;
    outer.update(createHash('sha256').update(readFileSync(join(root, f))).digest());
    count++;
  }
  return count === 0 ? '' : outer.digest('hex');
}
