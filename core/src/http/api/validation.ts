import type { TSchema, Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { HeliosError, type ErrorCode } from '@helios-ci/sdk';

/**
 * Checks request input against a typebox schema. Query and path values arrive as strings, so they are
 * converted (`"10"` → 10) and defaulted first; bodies are checked as sent (JSON already has types).
 * Failures are 400s (`E_..._INVALID`) that name every problem with its location.
 */
export function parseInput<S extends TSchema>(schema: S, value: unknown, code: Extract<ErrorCode, `E_${string}_INVALID`>, what: string, options: { convert?: boolean } = {}): Static<S> {
  let candidate = Value.Clone(value);
  if (options.convert) candidate = Value.Convert(schema, candidate);
  candidate = Value.Default(schema, candidate);
  if (Value.Check(schema, candidate)) return candidate as Static<S>;
  const problems = [...Value.Errors(schema, candidate)].slice(0, 10).map((e) => `${e.path ? e.path.slice(1).replace(/\//g, '.') : '(root)'}: ${e.message}`);
  throw new HeliosError(code, `${what} is invalid: ${[...new Set(problems)].join('; ')}`, { facts: { problems } });
}
