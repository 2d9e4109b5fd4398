/**
 * Typed dependency tokens. A token is keyed by `Symbol.for`, so two copies of the sdk (or of a
 * plugin) agree on it. `multiple` tokens collect every provider (several forges); single tokens
 * accept exactly one.
 */
export interface Token<T, M extends boolean = boolean> {
  readonly key: symbol;
  readonly name: string;
  /** `true` tokens resolve to an array of every provider's value. */
  readonly multiple: M;
  /** Phantom field carrying the value type; never set at run time. */
  readonly __type?: T;
}

const TOKEN_NAME = /^[a-z][a-zA-Z0-9.-]*$/;

export function defineToken<T>(name: string, options: { multiple: true }): Token<T, true>;
export function defineToken<T>(name: string, options?: { multiple?: false }): Token<T, false>;
export function defineToken<T>(name: string, options: { multiple?: boolean } = {}): Token<T, boolean> {
  if (!TOKEN_NAME.test(name)) {
    throw new TypeError(`token name "${name}" must match ${TOKEN_NAME} (lowercase start, letters, digits, dots, dashes)`);
  }
  return Object.freeze({ key: Symbol.for(`helios-ci/token/${name}`), name, multiple: options.multiple === true });
}

/** The value a token resolves to: an array for `multiple` tokens. */
export type TokenValue<K> = K extends Token<infer T> ? T : never;
