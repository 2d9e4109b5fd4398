/**
 * The plugin contract. A plugin package default-exports `definePlugin({...})`; the kernel loads it
 * from `helios.yaml`, validates its config against `configSchema`, and calls `register(ctx)`.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { Token } from './tokens.js';
import type { Logger } from './logger.js';
import type { EventBus } from './events.js';
import type { PluginHttp } from './http.js';

/** The kernel's plugin API major. A plugin built for another major is refused at load. */
export const PLUGIN_API_VERSION = 1;
export const PLUGIN_BRAND = Symbol.for('helios-ci/plugin');

export const PLUGIN_NAME = /^[a-z][a-z0-9-]*$/;

type DepValues<D extends Record<string, Token<unknown>>> = {
  [K in keyof D]: D[K] extends Token<infer T, infer M> ? (M extends true ? T[] : T) : never;
};

export interface Provider<T, D extends Record<string, Token<unknown>>> {
  /** Tokens this value needs; the kernel resolves them first (in dependency order). */
  deps?: D;
  /** Builds the value; may be async. Called once per kernel. */
  factory(deps: DepValues<D>): T | Promise<T>;
}

export interface PluginContext<C> {
  /** The instance name (the key under `plugins:` in helios.yaml). */
  readonly instance: string;
  /** Validated config with defaults applied and `{ secret | env | file }` references resolved. */
  readonly config: C;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly http: PluginHttp;
  /** A directory of this instance's own under the server's data dir (created on demand). */
  readonly dataDir: string;
  /** The directory of the config file (or the working directory on the embedded defaults). */
  readonly configDir: string;
  provide<T, D extends Record<string, Token<unknown>> = Record<never, never>>(token: Token<T>, provider: Provider<T, D>): void;
  /** Runs after every value is resolved, in dependency order. */
  onStart(fn: () => Promise<void> | void): void;
  /** Runs at stop, in reverse start order, each bounded by the kernel's hook timeout. */
  onStop(fn: () => Promise<void> | void): void;
}

export interface PluginDefinition<S extends TSchema> {
  name: string;
  apiVersion: number;
  configSchema: S;
  register(ctx: PluginContext<Static<S>>): void | Promise<void>;
}

export interface Plugin<S extends TSchema = TSchema> extends PluginDefinition<S> {
  readonly [PLUGIN_BRAND]: true;
}

export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): Plugin<S> {
  if (!PLUGIN_NAME.test(definition.name)) {
    throw new TypeError(`plugin name "${definition.name}" must match ${PLUGIN_NAME}`);
  }
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true as const });
}

/** True for a plugin made by any copy of the sdk. */
export function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
