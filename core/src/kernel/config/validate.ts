import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import type { ConfigProblem } from './problems.js';

export type PositionOf = (path: (string | number)[], preferKey?: boolean) => { line: number; col: number } | undefined;

/**
 * Applies defaults and checks `value` against `schema`. Every problem is returned (not just the
 * first), with a dotted path under `prefix` and, when known, the line and column in the file.
 */
export function validateAgainst(
  schema: TSchema,
  input: unknown,
  prefix: (string | number)[],
  positionOf: PositionOf,
): { value: unknown; problems: ConfigProblem[] } {
  const value = Value.Default(schema, Value.Clone(input));
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(schema, value)) {
    const rel = error.path.split('/').filter(Boolean).map(unescapePointer);
    const full = [...prefix, ...rel];
    const dotted = full.join('.');
    if (seen.has(dotted) || [...seen].some((p) => dotted.startsWith(p + '.'))) continue;
    seen.add(dotted);
    problems.push({ path: dotted, message: describe(error), ...positionOf(full, error.type === ValueErrorType.ObjectAdditionalProperties) });
  }
  return { value, problems };
}

function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

function describe(error: ValueError): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  const got = error.value === undefined ? 'nothing' : JSON.stringify(error.value)?.slice(0, 60);
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const allowed = Object.keys((schema.properties as object | undefined) ?? {});
      return allowed.length
        ? `unknown key; remove it or use one of: ${allowed.join(', ')}`
        : 'unknown key; remove it';
    }
    case ValueErrorType.ObjectRequiredProperty:
      return 'required but missing; add it';
    case ValueErrorType.Union: {
      const literals = ((schema.anyOf as TSchema[] | undefined) ?? []).map((s) => s.const).filter((c) => c !== undefined);
      if (literals.length) return `expected one of ${literals.map((l) => JSON.stringify(l)).join(', ')}, got ${got}`;
      return `does not match any allowed form, got ${got}`;
    }
    case ValueErrorType.String:
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
    case ValueErrorType.Boolean:
    case ValueErrorType.Object:
    case ValueErrorType.Array:
      return `${error.message.replace(/^Expected/, 'expected')}, got ${typeof error.value === 'string' ? 'a string' : got}`;
    case ValueErrorType.StringPattern:
      return `${JSON.stringify(error.value)} does not match the pattern ${String(schema.pattern)}`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}
