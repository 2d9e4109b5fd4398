/**
 * The one error type of Helios CI. Every error a user can see carries a stable `E_...` code from
 * the registry (`errorCodes.ts`: meaning, HTTP status, retryable), and a message that says how to
 * fix the problem.
 */
import { errorCodeInfo, registerErrorCodes, type ErrorCode, type ErrorCodeInfo } from './errorCodes.js';

export { ERROR_CODES, errorCodeInfo, isRegisteredErrorCode, listErrorCodes, type ErrorCode, type ErrorCodeInfo } from './errorCodes.js';

const BRAND = Symbol.for('helios-ci/error');

export interface HeliosErrorOptions {
  cause?: unknown;
  /**
   * Machine-readable extra facts (paths, names, ids); never secret values. (Not called `details`:
   * test reporters such as uvu's read `err.details` as a string and crash on an object.)
   */
  facts?: Record<string, unknown>;
  /** Overrides the registry's `retryable` for this one error (e.g. a 5xx that is known permanent). */
  retryable?: boolean;
  /** When the caller should try again (a rate limit's Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** The HTTP status of the upstream answer (forge, Vault) that caused this error, if any. */
  upstreamStatus?: number;
}

export class HeliosError extends Error {
  readonly code: ErrorCode;
  readonly facts: Readonly<Record<string, unknown>> | undefined;
  /** Whether the same call may succeed later unchanged (the registry's default unless overridden). */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, options: HeliosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeliosError';
    this.code = code;
    this.facts = options.facts;
    this.retryable = options.retryable ?? errorCodeInfo(code).retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
  }

  /** The HTTP status an API answer with this error carries (from the registry). */
  get httpStatus(): number {
    return errorCodeInfo(this.code).http;
  }

  override toString(): string {
    return `${this.code}: ${this.message}`;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, retryable: this.retryable, ...(this.facts ? { facts: this.facts } : {}) };
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

/** True when `value` is a HeliosError that may succeed if tried again unchanged. */
export function isRetryable(value: unknown): boolean {
  return isHeliosError(value) && value.retryable;
}

export interface PluginErrors<K extends string> {
  /** The codes as registered, with their meaning, HTTP status and retryability. */
  readonly codes: Readonly<Record<K, ErrorCodeInfo>>;
  /** A HeliosError with one of this plugin's codes. */
  create(code: K, message: string, options?: HeliosErrorOptions): HeliosError;
}

/**
 * Codes of a plugin's own, for failures the sdk registry has no code for. Registered process-wide
 * (the kernel maps them to HTTP like its own); a code registered twice with another status or
 * retryability is refused. `create` is typed to exactly these codes, so typos do not compile.
 *
 * ```ts
 * const errors = defineErrorCodes({ E_ONEPASSWORD_LOCKED: { http: 503, retryable: true, meaning: 'The vault is locked.' } });
 * throw errors.create('E_ONEPASSWORD_LOCKED', 'the 1Password vault is locked; unlock it with op signin');
 * ```
 */
export function defineErrorCodes<const R extends Record<`E_${string}`, ErrorCodeInfo>>(codes: R): PluginErrors<keyof R & string> {
  registerErrorCodes(codes);
  return {
    codes: codes as Readonly<Record<keyof R & string, ErrorCodeInfo>>,
    // The registry now knows the code, so it behaves as an sdk code everywhere (HTTP, retry).
    create: (code, message, options) => new HeliosError(code as unknown as ErrorCode, message, options),
  };
}

/**
 * A plain Error carrying everything a HeliosError (or anything thrown) says, for handing to test
 * reporters and loggers that only understand `Error` with string fields.
 */
export function describeThrown(value: unknown): Error {
  if (isHeliosError(value)) {
    const facts = value.facts ? ` ${safeJson(value.facts)}` : '';
    const plain = new Error(`${value.code}: ${value.message}${facts}`);
    if (value.stack) plain.stack = `Error: ${plain.message}\n${value.stack.split('\n').slice(1).join('\n')}`;
    return plain;
  }
  if (value instanceof Error) {
    const details = (value as { details?: unknown }).details;
    if (details === undefined || typeof details === 'string') return value;
    const plain = new Error(`${value.message} ${safeJson(details)}`);
    plain.stack = value.stack;
    return plain;
  }
  return new Error(`non-Error value thrown: ${safeJson(value)}`);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
