/**
 * The one error type of Helios CI. Every error a user can see carries a stable `E_...` code (for
 * scripts, docs and HTTP/gRPC mapping) and a message that says how to fix the problem.
 */
const BRAND = Symbol.for('helios-ci/error');

export type ErrorCode = `E_${string}`;

export interface HeliosErrorOptions {
  cause?: unknown;
  /** Machine-readable extra facts (paths, names); never secret values. */
  details?: Record<string, unknown>;
}

export class HeliosError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: HeliosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeliosError';
    this.code = code;
    this.details = options.details;
  }

  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

/** True for a HeliosError from any copy of the sdk (duplicate installs share the brand). */
export function isHeliosError(value: unknown): value is HeliosError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Wraps anything thrown into a HeliosError, keeping HeliosErrors as they are. */
export function toHeliosError(value: unknown, code: ErrorCode, message: string): HeliosError {
  if (isHeliosError(value)) return value;
  const reason = value instanceof Error ? value.message : String(value);
  return new HeliosError(code, `${message}: ${reason}`, { cause: value });
}
