import { configuredAgentEndpoint } from './config/agentEndpoint.js';
import { join as joinPath, resolve as resolvePath } from 'node:path';
import {
  HeliosError,
  isHeliosError,
  PLUGIN_API_VERSION,
  SecretsToken,
  type EventBus,
  type HttpRoute,
  type Logger,
  type Plugin,
  type PluginContext,
  type Token,
  type DoctorCheck,
} from '@helios-ci/sdk';
import { loadConfigFile, parseConfigText, type LoadedConfig } from './config/loadConfig.js';
import { configInvalid, type ConfigProblem } from './config/problems.js';
import { validateAgainst } from './config/validate.js';
import { findRefs, resolveLocalRefs, SECRET_PLACEHOLDER, setAt, type RefSite } from './config/valueRefs.js';
import type { HeliosConfig } from './config/schema.js';
import { checkPlugin, resolvePlugin } from './pluginResolver.js';
import { ProviderGraph } from './providerGraph.js';
import { createPluginContext, type Hooks } from './pluginContext.js';
import { Redactor } from './redactor.js';
import { ConfigSecretValues } from './configSecretGuard.js';
import { createLogger, type LogSink } from './logger.js';
import { createEventBus } from './eventBus.js';
import { runWithTimeout } from './timeout.js';
import { checkProvidedKinds } from './pluginKinds.js';
import { checkInstanceIds } from './instanceIds.js';
import { EMBEDDED_DEFAULTS, filledMessage, freeInstanceName, type FilledDefault } from './embeddedDefaults.js';

export interface KernelOptions {
  /** Path to helios.yaml; undefined (and no configText) means the embedded defaults. */
  configPath?: string;
  /** Config as YAML text (tests, embedded use); `configDir` says where relative paths start. */
  configText?: string;
  configDir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logSink?: LogSink;
  /** Plugin objects by `use` value: lets tests and tools load a plugin without a package on disk. */
  pluginObjects?: Record<string, Plugin>;
  /** Overrides limits.stopHookTimeoutSeconds (tests). */
  stopHookTimeoutMs?: number;
  /** Overrides server.dataDir (absolute): `helios run` keeps its state out of the repository. */
  dataDir?: string;
  /**
   * Core services (store, orchestrator, ...), registered as instance "core" after every plugin so
   * they can see what the plugins provide; they start after all plugins and stop before them.
   */
  builtins?: (ctx: PluginContext<unknown>, kernel: Kernel) => void | Promise<void>;
  /**
   * Fill a kind no enabled plugin declares (runtime, secrets, storage) with its embedded default, with a
   * warning (default true). The test kit turns it off: a plugin's tests load only what they name.
   */
  embeddedDefaults?: boolean;
  /** More host paths no job may see (PluginContext.protectedPaths): `helios run` adds the repository's .helios/. */
  protectedPaths?: readonly string[];
}

export interface DoctorTarget {
  instance: string;
  package: string;
  version: string;
  loadError: HeliosError | null;
  isDefault: boolean;
  /** The plugin's doctor hook bound to its resolved config; null without a hook or a resolved config. */
  run: (() => Promise<DoctorCheck[]> | DoctorCheck[]) | null;
  hasHook: boolean;
}

export interface PluginInfo {
  instance: string;
  package: string;
  version: string;
  enabled: boolean;
  /** Interface kinds (token names) the instance provides. */
  kinds: string[];
  /** Config with defaults, references shown as `<secret:ref>`, secret values redacted. */
  config: unknown;
  /** True for an embedded default the kernel filled in because no plugin configured its kind. */
  default: boolean;
}

interface Instance {
  name: string;
  use: string;
  plugin: Plugin | null;
  packageName: string;
  version: string;
  enabled: boolean;
  rawConfig: unknown;
  config: unknown;
  refSites: RefSite[];
  secretSites: RefSite[];
  provided: Token<unknown>[];
  hooks: Hooks;
  /** Filled in by the kernel (no configured plugin of its kind), not written in the config. */
  isDefault?: boolean;
  /** `config` is validated with every reference resolved (what a doctor hook may be given). */
  configReady?: boolean;
  /** Why the plugin could not be imported (doctor reports it per instance). */
  loadError?: HeliosError;
}

export interface StopReport {
  instance: string;
  outcome: 'ok' | 'failed' | 'timed_out';
  error?: string;
}

/** The instance name core services register under; a plugin instance may not use it. */
export const CORE_INSTANCE = 'core';

type KernelState = 'prepared' | 'starting' | 'started' | 'stopping' | 'stopped';

/**
 * One Helios kernel: config, plugins, their values in one DI container, and the lifecycle.
 * `Kernel.create` does everything up to (not including) the start hooks, so `config check` and
 * `plugins list` exercise the real path without starting servers.
 */
export class Kernel {
  readonly redactor = new Redactor();
  /** Every value a `{ secret | env | file }` reference in helios.yaml resolved to (job secrets may not equal one). */
  readonly configSecrets = new ConfigSecretValues();
  readonly logger: Logger;
  readonly events: EventBus;
  readonly graph = new ProviderGraph();
  readonly routes: { instance: string; route: HttpRoute }[] = [];
  /** Kinds nobody configured, filled with their embedded default (`config check` warns of each). */
  readonly filledDefaults: FilledDefault[] = [];
  private readonly instances: Instance[] = [];
  /** Paths plugins declared with ctx.protectPath (a secrets file, a storage directory). */
  private readonly declaredProtected: string[] = [];
  private state: KernelState = 'prepared';
  private started: Instance[] = [];
  private stopping: Promise<StopReport[]> | null = null;

  private constructor(
    readonly loaded: LoadedConfig,
    private readonly options: KernelOptions,
  ) {
    this.logger = createLogger({ name: 'helios', level: loaded.config.server.logLevel, sink: options.logSink, redactor: this.redactor });
    this.events = createEventBus(this.logger.child('events'));
  }

  get config(): HeliosConfig {
    return this.loaded.config;
  }

  /** The data directory, absolute. */
  get dataDir(): string {
    return this.options.dataDir ?? resolvePath(this.loaded.configDir, this.config.server.dataDir);
  }

  static async create(options: KernelOptions = {}): Promise<Kernel> {
    const { kernel, error } = await Kernel.diagnose(options);
    if (error !== null) throw error;
    return kernel;
  }

  /**
   * `Kernel.create` that never throws past the config file: `helios doctor` gets the kernel as far
   * as it got (which plugins loaded, whose config is resolved) together with the error that stopped it.
   */
  static async diagnose(options: KernelOptions = {}): Promise<{ kernel: Kernel; error: unknown }> {
    const cwd = options.cwd ?? process.cwd();
    const loaded =
      options.configText !== undefined
        ? parseConfigText(options.configText, options.configPath ?? 'helios.yaml', options.configDir ?? cwd, false)
        : loadConfigFile(options.configPath, cwd);
    const kernel = new Kernel(loaded, options);
    try {
      await kernel.prepare();
      return { kernel, error: null };
    } catch (err) {
      return { kernel, error: kernel.redactError(err) };
    }
  }

  /** Per configured plugin instance: whether it loaded, and its doctor hook with a resolved config. */
  doctorTargets(workerLabels?: readonly string[]): DoctorTarget[] {
    return this.instances
      .filter((i) => i.name !== CORE_INSTANCE && i.enabled)
      .map((i) => ({
        instance: i.name,
        package: i.packageName,
        version: i.version,
        loadError: i.loadError ? (this.redactError(i.loadError) as HeliosError) : null,
        isDefault: i.isDefault === true,
        run:
          i.plugin?.doctor && i.configReady
            ? () =>
                i.plugin!.doctor!({
                  instance: i.name,
                  config: i.config as never,
                  configDir: this.loaded.configDir,
                  dataDir: joinPath(this.dataDir, 'plugins', i.name),
                  logger: this.logger.child(i.name),
                  ...(workerLabels ? { workerLabels } : {}),
                })
            : null,
        hasHook: typeof i.plugin?.doctor === 'function',
      }));
  }

  private async prepare(): Promise<void> {
    const { config, configDir, positionOf, file } = this.loaded;
    // Structural problems do not stop here: every plugin config that can be checked still is, so
    // one `config check` reports a bad server key and a bad plugin key together.
    const problems: ConfigProblem[] = [...this.loaded.problems];

    // 1. Import every enabled plugin; collect load errors so all are reported together.
    const loadErrors: { name: string; err: HeliosError }[] = [];
    if (CORE_INSTANCE in config.plugins) {
      problems.push({ path: `plugins.${CORE_INSTANCE}`, ...positionOf(['plugins', CORE_INSTANCE], true), message: `"${CORE_INSTANCE}" is reserved for Helios's own services; name this plugin instance differently` });
      throw configInvalid(file, problems);
    }
    for (const [name, entry] of Object.entries(config.plugins)) {
      const where = `plugins.${name}.use`;
      const instance: Instance = {
        name,
        use: entry.use,
        plugin: null,
        packageName: entry.use,
        version: '',
        enabled: entry.enabled !== false,
        rawConfig: entry.config ?? {},
        config: undefined,
        refSites: [],
        secretSites: [],
        provided: [],
        hooks: { start: [], stop: [] },
      };
      this.instances.push(instance);
      if (entry.enabled === false) continue;
      try {
        const object = this.options.pluginObjects?.[entry.use];
        if (object) {
          instance.plugin = checkPlugin(object, entry.use, where);
          instance.version = 'in-memory';
        } else {
          const resolved = await resolvePlugin(entry.use, configDir, where);
          instance.plugin = resolved.plugin;
          instance.packageName = resolved.packageName;
          instance.version = resolved.version;
        }
      } catch (err) {
        if (!isHeliosError(err)) throw err;
        instance.loadError = err;
        loadErrors.push({ name, err });
      }
    }
    if (problems.length) {
      // Listed with the structural problems, so one report still has everything.
      for (const { name, err } of loadErrors) problems.push({ path: '', ...positionOf(['plugins', name, 'use']), message: `${err.code}: ${err.message}` });
    } else if (loadErrors.length === 1) {
      throw loadErrors[0]!.err;
    } else if (loadErrors.length > 1) {
      const first = loadErrors[0]!.err;
      throw new HeliosError(first.code, loadErrors.map(({ err }) => `${err.code}: ${err.message}`).join('\n'), { cause: first });
    }
    if (this.options.embeddedDefaults !== false && loadErrors.length === 0) await this.fillDefaults();

    // 2. Resolve { env } / { file } references and validate every plugin config at once.
    for (const inst of this.enabled()) {
      const prefix = ['plugins', inst.name, 'config'];
      const local = resolveLocalRefs(inst.rawConfig, prefix, {
        configDir,
        env: this.options.env ?? process.env,
        positionOf,
        onValue: (v) => {
          this.redactor.add(v);
          this.configSecrets.add(v);
        },
        // A { file } reference holds a credential (a private key, a token): hidden from sandboxed jobs.
        onFile: (file) => {
          if (!this.declaredProtected.includes(file)) this.declaredProtected.push(file);
        },
      });
      problems.push(...local.problems);
      inst.secretSites = local.secretSites;
      let candidate = structuredClone(local.value);
      for (const site of local.secretSites) candidate = setAt(candidate, site.path, SECRET_PLACEHOLDER);
      const checked = validateAgainst(inst.plugin!.configSchema, candidate, prefix, positionOf);
      // Secret values are checked once they are known; the placeholder can only give false alarms.
      const secretPaths = new Set(local.secretSites.map((s) => [...prefix, ...s.path].join('.')));
      problems.push(...checked.problems.filter((pr) => !secretPaths.has(pr.path)));
      inst.config = checked.value;
      inst.configReady = local.secretSites.length === 0 && local.problems.length === 0 && checked.problems.length === 0;
      inst.rawConfig = local.value;
      // Every reference site (env and file too) is shown as its reference, never its value.
      inst.refSites = findRefs(this.configEntry(inst.name));
    }
    if (problems.length) throw configInvalid(file, problems);

    // 3. Register the plugins without secret references first: one of them is the secrets backend.
    const early = this.enabled().filter((i) => i.secretSites.length === 0);
    const late = this.enabled().filter((i) => i.secretSites.length > 0);
    for (const inst of early) await this.register(inst);
    if (late.length) {
      await this.resolveSecretRefs(late);
      for (const inst of late) await this.register(inst);
    }

    if (this.options.builtins) {
      const builtins = this.options.builtins;
      const core: Instance = {
        name: CORE_INSTANCE,
        use: '@helios-ci/core',
        plugin: { name: 'core', apiVersion: PLUGIN_API_VERSION, kinds: [], configSchema: {} as never, register: (ctx: PluginContext<unknown>) => builtins(ctx, this) } as unknown as Plugin,
        packageName: '@helios-ci/core',
        version: '',
        enabled: true,
        rawConfig: {},
        config: {},
        refSites: [],
        secretSites: [],
        provided: [],
        hooks: { start: [], stop: [] },
      };
      this.instances.push(core);
      await this.register(core);
    }

    // 4. Build every value in dependency order (missing deps and cycles fail before any start).
    await this.graph.build();
    checkInstanceIds(
      this.graph,
      this.enabled().filter((i) => i.name !== CORE_INSTANCE).map((i) => ({ name: i.name, label: i.packageName })),
    );
  }

  /**
   * A kind no enabled plugin declares gets its embedded default, so a helios.yaml with only
   * `server:` still runs jobs. A disabled entry of the default's own package counts as a choice.
   */
  private async fillDefaults(): Promise<void> {
    for (const d of EMBEDDED_DEFAULTS) {
      const declared = this.enabled().some((i) => i.plugin!.kinds.includes(d.kind));
      const chosen = this.instances.some((i) => i.use === d.use || i.packageName === d.use);
      if (declared || chosen) continue;
      const name = freeInstanceName(d.instance, this.instances.map((i) => i.name));
      let resolved: Awaited<ReturnType<typeof resolvePlugin>>;
      try {
        resolved = await resolvePlugin(d.use, this.loaded.configDir, `embedded default ${d.kind} "${name}"`);
      } catch (err) {
        throw new HeliosError(
          'E_PLUGIN_NOT_FOUND',
          `no ${d.kind} is configured, and the embedded default ${d.use} cannot be loaded (${(err as Error).message}); configure a ${d.kind} plugin under plugins: in ${this.loaded.file}`,
          { cause: err },
        );
      }
      const message = filledMessage(d, name);
      this.logger.warn(message, { kind: d.kind, instance: name, package: d.use });
      this.filledDefaults.push({ kind: d.kind, instance: name, package: d.use, message });
      this.instances.push({
        name,
        use: d.use,
        plugin: resolved.plugin,
        packageName: resolved.packageName,
        version: resolved.version,
        enabled: true,
        rawConfig: {},
        config: undefined,
        refSites: [],
        secretSites: [],
        provided: [],
        hooks: { start: [], stop: [] },
        isDefault: true,
      });
    }
  }

  private configEntry(name: string): unknown {
    return this.loaded.config.plugins[name]?.config ?? {};
  }

  private enabled(): Instance[] {
    return this.instances.filter((i) => i.enabled && i.plugin);
  }

  private async resolveSecretRefs(late: Instance[]): Promise<void> {
    const problems: ConfigProblem[] = [];
    const { positionOf, file } = this.loaded;
    if (this.graph.providersOf(SecretsToken).length === 0) {
      for (const inst of late) {
        for (const site of inst.secretSites) {
          const full = ['plugins', inst.name, 'config', ...site.path];
          problems.push({ path: full.join('.'), ...positionOf(full), message: `{ secret: ${site.ref} } needs a secrets backend, but no enabled plugin without secret references provides one; enable @helios-ci/secrets-file` });
        }
      }
      throw configInvalid(file, problems);
    }
    await this.graph.build([SecretsToken]);
    const secrets = this.graph.resolve(SecretsToken);
    for (const inst of late) {
      let value = structuredClone(inst.rawConfig);
      let missing = false;
      for (const site of inst.secretSites) {
        const full = ['plugins', inst.name, 'config', ...site.path];
        const secret = await secrets.read(site.ref);
        if (secret === undefined) {
          missing = true;
          problems.push({ path: full.join('.'), ...positionOf(full), message: `config secret "${site.ref}" does not exist in the secrets backend; add it to its config namespace (secrets-file: a "${site.ref}" key under "config:" in the secrets file, or HELIOS_CONFIG_SECRET_<REF>; secrets-vault: the config path)` });
          continue;
        }
        this.redactor.add(secret);
        this.configSecrets.add(secret);
        value = setAt(value, site.path, secret);
      }
      if (missing) continue;
      const checked = validateAgainst(inst.plugin!.configSchema, value, ['plugins', inst.name, 'config'], positionOf);
      problems.push(...checked.problems.map((p) => ({ ...p, message: this.redactor.redact(p.message) })));
      inst.config = checked.value;
      inst.configReady = checked.problems.length === 0;
    }
    if (problems.length) throw configInvalid(file, problems);
  }

  private async register(inst: Instance): Promise<void> {
    const ctx = createPluginContext({
      instance: inst.name,
      config: inst.config,
      logger: this.logger.child(inst.name),
      events: this.events,
      dataRoot: this.dataDir,
      configDir: this.loaded.configDir,
      agentEndpoint: configuredAgentEndpoint(this.config.server),
      protectPath: (path) => {
        if (!this.declaredProtected.includes(path)) this.declaredProtected.push(path);
      },
      protectedPaths: () => this.protectedPaths(),
      addProvider: (entry) => this.graph.add(entry),
      addRoute: (instance, route) => this.addRoute(instance, route),
      hooks: inst.hooks,
    });
    try {
      await inst.plugin!.register(ctx);
    } catch (err) {
      if (isHeliosError(err)) throw err;
      throw new HeliosError('E_PLUGIN_REGISTER_FAILED', `plugin "${inst.name}" (${inst.packageName}) failed in register(): ${(err as Error)?.message ?? String(err)}`, { cause: err });
    } finally {
      (ctx as unknown as { endRegistration(): void }).endRegistration();
    }
    inst.provided = ctx.provided;
    if (inst.name !== CORE_INSTANCE) checkProvidedKinds(inst.name, inst.packageName, inst.plugin!.kinds, inst.provided);
  }

  /**
   * What no job may see: the data dir, the config file, every `{ file }` reference of the config,
   * the paths plugins declared, and the caller's extra ones (absolute, without duplicates).
   */
  protectedPaths(): string[] {
    const configFile = this.options.configText === undefined && this.options.configPath !== undefined ? resolvePath(this.options.cwd ?? process.cwd(), this.options.configPath) : null;
    const all = [this.dataDir, ...(configFile ? [configFile] : []), ...this.declaredProtected, ...(this.options.protectedPaths ?? [])].map((p) => resolvePath(p));
    return [...new Set(all)];
  }

  private addRoute(instance: string, route: HttpRoute): void {
    const clash = this.routes.find((r) => r.route.method === route.method && r.route.path === route.path);
    if (clash) {
      throw new HeliosError('E_HTTP_ROUTE_CONFLICT', `plugins "${clash.instance}" and "${instance}" both mount ${route.method} ${route.path}; give one of them another instance name`);
    }
    this.routes.push({ instance, route });
  }

  /** Core services (orchestrator, store, ...) add their own routes through the same registry. */
  mountRoute(owner: string, route: HttpRoute): void {
    this.addRoute(owner, route);
  }

  resolve<T>(token: Token<T>): T {
    return this.graph.resolve(token);
  }

  resolveAll<T>(token: Token<T>): T[] {
    return this.graph.resolveAll(token);
  }

  has(token: Token<unknown>): boolean {
    return this.graph.has(token);
  }

  /** Start hooks in dependency order; a failure stops what already started and rethrows. */
  async start(): Promise<void> {
    if (this.state !== 'prepared') throw new HeliosError('E_KERNEL_STATE', `kernel cannot start from state "${this.state}"`);
    this.state = 'starting';
    const order = this.graph.instanceOrder();
    const ordered = [
      ...order.map((n) => this.instances.find((i) => i.name === n)!),
      ...this.enabled().filter((i) => !order.includes(i.name)),
    ].filter((i) => i.name !== CORE_INSTANCE);
    const core = this.instances.find((i) => i.name === CORE_INSTANCE);
    if (core) ordered.push(core);
    for (const inst of ordered) {
      try {
        for (const hook of inst.hooks.start) await hook();
        this.started.push(inst);
      } catch (err) {
        this.logger.error('plugin start failed; stopping what already started', { plugin: inst.name, error: err });
        await this.stop(`start of ${inst.name} failed`);
        throw this.redactError(
          new HeliosError('E_PLUGIN_START_FAILED', `plugin "${inst.name}" failed to start: ${(err as Error)?.message ?? String(err)}`, { cause: err }),
        );
      }
    }
    this.state = 'started';
    this.events.emit('kernel.started', { plugins: this.started.map((i) => i.name) });
  }

  /** Stop hooks in reverse start order, each bounded by the hook timeout. Idempotent. */
  stop(reason = 'stop requested'): Promise<StopReport[]> {
    if (this.stopping) return this.stopping;
    this.state = 'stopping';
    this.events.emit('kernel.stopping', { reason });
    const timeoutMs = this.options.stopHookTimeoutMs ?? this.config.limits.stopHookTimeoutSeconds * 1000;
    this.stopping = (async () => {
      const reports: StopReport[] = [];
      for (const inst of [...this.started].reverse()) {
        for (const hook of [...inst.hooks.stop].reverse()) {
          const outcome = await runWithTimeout(async () => hook(), timeoutMs);
          if (outcome.kind === 'ok') reports.push({ instance: inst.name, outcome: 'ok' });
          else if (outcome.kind === 'timeout') {
            this.logger.error('stop hook timed out', { plugin: inst.name, timeoutMs });
            reports.push({ instance: inst.name, outcome: 'timed_out' });
          } else {
            this.logger.error('stop hook failed', { plugin: inst.name, error: outcome.error });
            reports.push({ instance: inst.name, outcome: 'failed', error: this.redactor.redact(String((outcome.error as Error)?.message ?? outcome.error)) });
          }
        }
      }
      this.started = [];
      this.state = 'stopped';
      return reports;
    })();
    return this.stopping;
  }

  /** What `helios plugins list` shows. */
  plugins(): PluginInfo[] {
    return this.instances.filter((inst) => inst.name !== CORE_INSTANCE).map((inst) => {
      let shown: unknown = structuredClone(inst.enabled ? inst.config : inst.rawConfig) ?? {};
      for (const site of inst.refSites) shown = setAt(shown, site.path, `<${site.kind}:${site.ref}>`);
      return {
        instance: inst.name,
        package: inst.packageName,
        version: inst.version,
        enabled: inst.enabled,
        kinds: [...new Set(inst.provided.map((t) => t.name))],
        config: this.redactor.redactDeep(shown),
        default: inst.isDefault === true,
      };
    });
  }

  /** Errors leave the kernel with every known secret value masked. */
  redactError(err: unknown): unknown {
    if (!isHeliosError(err)) return err;
    const message = this.redactor.redact(err.message);
    if (message === err.message) return err;
    return new HeliosError(err.code, message, { cause: err.cause, facts: this.redactor.redactDeep(err.facts) as Record<string, unknown> | undefined, retryable: err.retryable, retryAfterMs: err.retryAfterMs, upstreamStatus: err.upstreamStatus });
  }
}
