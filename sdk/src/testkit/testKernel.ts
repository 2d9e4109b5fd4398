import type { Plugin } from '../plugin.js';
import type { Token } from '../tokens.js';

export interface TestKernelOptions {
  /** Plugin instances as in helios.yaml; `use` may be a plugin object (no package needed). */
  plugins: Record<string, { use: string | Plugin; config?: unknown; enabled?: boolean }>;
  /** Where relative `use` paths and `{ file }` references start. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Run start hooks (default true). */
  start?: boolean;
  stopHookTimeoutMs?: number;
}

export interface TestKernel {
  resolve<T>(token: Token<T>): T;
  resolveAll<T>(token: Token<T>): T[];
  /** Structured log lines written so far (JSON strings, secrets redacted). */
  readonly logs: string[];
  plugins(): { instance: string; package: string; version: string; kinds: string[]; config: unknown; default: boolean }[];
  start(): Promise<void>;
  stop(): Promise<{ instance: string; outcome: string; error?: string }[]>;
}

interface CoreModule {
  Kernel: { create(options: Record<string, unknown>): Promise<TestKernel & { start(): Promise<void> }> };
  MemoryLogSink: new () => { lines: string[]; write(line: string): void };
  verifyPlugin(use: string | Plugin, options?: Record<string, unknown>): Promise<{ step: string; ok: boolean; detail: string; code?: string }[]>;
}

/** The kernel lives in @helios-ci/core (a dev dependency of plugin packages); load it lazily. */
async function importCore(): Promise<CoreModule> {
  const specifier = '@helios-ci/core';
  try {
    return (await import(specifier)) as CoreModule;
  } catch (err) {
    throw new Error(`the sdk test kit needs @helios-ci/core; add it to your devDependencies (npm install -D @helios-ci/core): ${(err as Error).message}`);
  }
}

/** A real kernel (production loader, config validation, DI, lifecycle) for a plugin's tests. */
export async function createTestKernel(options: TestKernelOptions): Promise<TestKernel> {
  const core = await importCore();
  const objects: Record<string, Plugin> = {};
  const plugins: Record<string, { use: string; config?: unknown; enabled?: boolean }> = {};
  for (const [name, entry] of Object.entries(options.plugins)) {
    const use = typeof entry.use === 'string' ? entry.use : `in-memory:${name}`;
    if (typeof entry.use !== 'string') objects[use] = entry.use;
    plugins[name] = { use, config: entry.config ?? {}, ...(entry.enabled === undefined ? {} : { enabled: entry.enabled }) };
  }
  const sink = new core.MemoryLogSink();
  const kernel = await core.Kernel.create({
    configText: JSON.stringify({ server: { dataDir: './.helios-test' }, plugins }),
    configDir: options.configDir ?? process.cwd(),
    env: options.env ?? {},
    pluginObjects: objects,
    logSink: sink,
    stopHookTimeoutMs: options.stopHookTimeoutMs,
    // A plugin's tests load exactly the instances they name; no runtime or secrets is filled in.
    embeddedDefaults: false,
  });
  if (options.start !== false) await kernel.start();
  return {
    resolve: (t) => kernel.resolve(t),
    resolveAll: (t) => kernel.resolveAll(t),
    get logs() {
      return sink.lines;
    },
    plugins: () => kernel.plugins(),
    start: () => kernel.start(),
    stop: () => kernel.stop(),
  };
}

/**
 * Loads a plugin through the production loader and reports each step (load, configure, start,
 * stop). `use` is a package name, a path (`'.'` is the plugin in the working directory: run your
 * tests from the package root), or a plugin object. Relative paths start at `options.configDir`
 * (default: the working directory).
 */
export async function verifyPlugin(
  use: string | Plugin,
  options: { config?: unknown; configDir?: string; alongside?: Record<string, { use: string | Plugin; config?: unknown }>; env?: NodeJS.ProcessEnv } = {},
): Promise<{ step: string; ok: boolean; detail: string; code?: string }[]> {
  return (await importCore()).verifyPlugin(use, options);
}
