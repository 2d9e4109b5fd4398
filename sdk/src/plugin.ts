/**
 * The plugin contract. A plugin package default-exports `definePlugin({...})`; the kernel loads it
 * from `helios.yaml`, validates its config against `configSchema`, and calls `register(ctx)`.
 */
import type { Static, TSchema } from './typebox.js';
import type { Token } from './tokens.js';
import type { Logger } from './logger.js';
import type { EventBus } from './events.js';
import type { PluginHttp } from './http.js';
import type { DoctorCheck, DoctorContext } from './doctor.js';

/**
 * The plugin API version this kernel speaks (semver). A plugin never imports it to fill its own
 * `apiVersion`: it writes the range it was built for as a literal (`'1.x'`), and the kernel refuses
 * it when this version is outside that range. A breaking change to the contract bumps the major.
 */
export const PLUGIN_API_VERSION = '1.0.0';
export const PLUGIN_BRAND = Symbol.for('helios-ci/plugin');

export const PLUGIN_NAME = /^[a-z][a-z0-9-]*$/;

/** The interface kinds a plugin may provide; a custom token's name is a kind too. */
export type PluginKind = 'forge' | 'runtime' | 'storage' | 'secrets' | 'queue' | (string & {});

const KIND_NAME = /^[a-z][a-zA-Z0-9.-]*$/;

// One version in a range: 1, 1.x, 1.2, 1.2.3, 1.2.3-beta.1 (x, X and * stand for "any").
const PARTIAL = String.raw`v?(?:\d+|[xX*])(?:\.(?:\d+|[xX*])(?:\.(?:\d+|[xX*])(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)?)?`;
const COMPARATOR = new RegExp(String.raw`^(?:\^|~>?|>=?|<=?|=)?\s*${PARTIAL}$`);
const HYPHEN = new RegExp(String.raw`^${PARTIAL}\s+-\s+${PARTIAL}$`);

/**
 * True for a semver range naming at least one major version, in the syntax npm's `semver` reads:
 * `1.x`, `^1.0.0`, `~1.2`, `>=1.0.0 <3.0.0`, `1.0.0 - 1.4.0`, `1.x || 2.x`. `*` and `''` are refused:
 * a plugin says which API it was built for.
 */
export function isApiRange(range: unknown): range is string {
  if (typeof range !== 'string' || range.length > 256 || !/\d/.test(range)) return false;
  return range.split('||').every((set) => {
    const trimmed = set.trim();
    if (trimmed === '') return false;
    if (HYPHEN.test(trimmed)) return true;
    // "> = 1" is not a comparator; ">= 1" is (semver allows space after the operator).
    const parts = trimmed.replace(/(\^|~>?|>=?|<=?|=)\s+/g, '$1').split(/\s+/);
    return parts.every((part) => COMPARATOR.test(part));
  });
}

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
  /**
   * The host:port agents are told to dial (MachineSpec.agent.endpoint) when helios.yaml fixes it
   * (server.agentEndpoint, or server.agentListen with a fixed port); null when the port is picked
   * at start. Lets a runtime refuse at start an endpoint its machines could not use.
   */
  readonly agentEndpoint?: string | null;
  /**
   * Declares a host path (file or directory) no job may see: a secrets file, a storage directory.
   * Call it in register(); a sandboxing runtime (runtime-local with bubblewrap) hides every such path.
   */
  protectPath?(path: string): void;
  /**
   * Every path jobs must not see: the server's data dir, the config file, and each path a plugin
   * declared with protectPath. Read it when a machine starts (every plugin has registered by then).
   */
  protectedPaths?(): readonly string[];
  provide<T, D extends Record<string, Token<unknown>> = Record<never, never>>(token: Token<T>, provider: Provider<T, D>): void;
  /** Runs after every value is resolved, in dependency order. */
  onStart(fn: () => Promise<void> | void): void;
  /** Runs at stop, in reverse start order, each bounded by the kernel's hook timeout. */
  onStop(fn: () => Promise<void> | void): void;
}

export interface PluginDefinition<S extends TSchema> {
  name: string;
  /**
   * The plugin API range this plugin was built for, as a literal semver range (`'1.x'`,
   * `'^1.0.0'`), like Fastify's `fastify: '5.x'`. Not `PLUGIN_API_VERSION`: importing the host's
   * constant would make every kernel accept every plugin.
   */
  apiVersion: string;
  /**
   * The token names `register` provides (`'secrets'`, `'forge'`, ... or a custom token's name).
   * The kernel checks after `register` that the instance provided exactly these.
   */
  kinds: readonly PluginKind[];
  configSchema: S;
  register(ctx: PluginContext<Static<S>>): void | Promise<void>;
  /** Optional checks for `helios doctor` (see doctor.ts): read-only, config only, no built values needed. */
  doctor?(ctx: DoctorContext<Static<S>>): Promise<DoctorCheck[]> | DoctorCheck[];
}

export interface Plugin<S extends TSchema = TSchema> extends PluginDefinition<S> {
  readonly [PLUGIN_BRAND]: true;
}

export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): Plugin<S> {
  if (!PLUGIN_NAME.test(definition.name)) {
    throw new TypeError(`plugin name "${definition.name}" must match ${PLUGIN_NAME}`);
  }
  if (!isApiRange(definition.apiVersion)) {
    throw new TypeError(
      `plugin "${definition.name}": apiVersion must be the plugin API range it was built for, as a literal semver range string such as '1.x' or '^1.0.0' (got ${describeValue(definition.apiVersion)}); this sdk's API version is ${PLUGIN_API_VERSION}`,
    );
  }
  const kinds: unknown = definition.kinds;
  if (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string' || !KIND_NAME.test(k)) || new Set(kinds).size !== kinds.length) {
    throw new TypeError(
      `plugin "${definition.name}": kinds must list the token names register() provides, each once, e.g. kinds: ['secrets'] (one of forge, runtime, storage, secrets, queue, or a custom token's name; [] if it provides nothing); got ${describeValue(kinds)}`,
    );
  }
  return Object.freeze({ ...definition, kinds: Object.freeze([...definition.kinds]), [PLUGIN_BRAND]: true as const });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return `${typeof value} ${JSON.stringify(value)}`;
  } catch {
    return typeof value;
  }
}

/** True for a plugin made by any copy of the sdk. */
export function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
