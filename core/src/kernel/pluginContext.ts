import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError, type EventBus, type HttpRoute, type Logger, type PluginContext, type Token } from '@helios-ci/sdk';
import type { ProviderEntry } from './providerGraph.js';

export interface Hooks {
  start: (() => Promise<void> | void)[];
  stop: (() => Promise<void> | void)[];
}

export interface ContextParts {
  instance: string;
  config: unknown;
  logger: Logger;
  events: EventBus;
  dataRoot: string;
  configDir: string;
  agentEndpoint: string | null;
  protectPath(path: string): void;
  protectedPaths(): readonly string[];
  addProvider(entry: ProviderEntry): void;
  addRoute(instance: string, route: HttpRoute): void;
  hooks: Hooks;
}

/** The `ctx` a plugin's register() receives; every call is recorded against its instance. */
export function createPluginContext(parts: ContextParts): PluginContext<unknown> & { provided: Token<unknown>[] } {
  const provided: Token<unknown>[] = [];
  let registering = true;
  const guard = (what: string) => {
    if (!registering) {
      throw new HeliosError('E_PLUGIN_LATE_REGISTRATION', `plugin "${parts.instance}" called ctx.${what} after register() returned; call it inside register()`);
    }
  };
  const ctx = {
    instance: parts.instance,
    config: parts.config,
    logger: parts.logger,
    events: parts.events,
    configDir: parts.configDir,
    agentEndpoint: parts.agentEndpoint,
    protectPath(path: string) {
      guard('protectPath');
      parts.protectPath(path);
    },
    protectedPaths: () => parts.protectedPaths(),
    provided,
    get dataDir() {
      const dir = join(parts.dataRoot, 'plugins', parts.instance);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    http: {
      route(route: HttpRoute) {
        guard('http.route');
        parts.addRoute(parts.instance, route);
      },
    },
    provide(token: Token<unknown>, provider: { deps?: Record<string, Token<unknown>>; factory(deps: never): unknown }) {
      guard('provide');
      provided.push(token);
      parts.addProvider({
        instance: parts.instance,
        token,
        deps: provider.deps ?? {},
        factory: provider.factory as ProviderEntry['factory'],
      });
    },
    onStart(fn: () => Promise<void> | void) {
      guard('onStart');
      parts.hooks.start.push(fn);
    },
    onStop(fn: () => Promise<void> | void) {
      guard('onStop');
      parts.hooks.stop.push(fn);
    },
    endRegistration() {
      registering = false;
    },
  };
  return ctx as PluginContext<unknown> & { provided: Token<unknown>[]; endRegistration(): void };
}
