import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { HeliosError, type Token } from '@helios-ci/sdk';

export interface ProviderEntry {
  instance: string;
  token: Token<unknown>;
  deps: Record<string, Token<unknown>>;
  factory(deps: Record<string, unknown>): unknown;
}

/**
 * The values plugins provide, built in dependency order into one tsyringe child container per
 * kernel (never the global one, so two kernels in one process never share state).
 */
export class ProviderGraph {
  readonly container: DependencyContainer = rootContainer.createChildContainer();
  private readonly providers: ProviderEntry[] = [];
  private readonly built = new Map<ProviderEntry, unknown>();
  private readonly buildOrder: ProviderEntry[] = [];

  add(entry: ProviderEntry): void {
    if (!entry.token.multiple) {
      const other = this.providers.find((p) => p.token.key === entry.token.key);
      if (other) {
        throw new HeliosError(
          'E_TOKEN_CONFLICT',
          `plugins "${other.instance}" and "${entry.instance}" both provide "${entry.token.name}", which takes exactly one provider; disable one of them in helios.yaml`,
        );
      }
    }
    this.providers.push(entry);
  }

  providersOf(token: Token<unknown>): ProviderEntry[] {
    return this.providers.filter((p) => p.token.key === token.key);
  }

  /** The values one instance provided for `token`, once built. */
  builtValuesOf(instance: string, token: Token<unknown>): unknown[] {
    return this.providersOf(token)
      .filter((p) => p.instance === instance && this.built.has(p))
      .map((p) => this.built.get(p));
  }

  /** Instances in the order their first value was built: dependencies before dependents. */
  instanceOrder(): string[] {
    return [...new Set(this.buildOrder.map((p) => p.instance))];
  }

  /** Missing dependencies and cycles among the given providers (default: all), before building anything. */
  check(roots: ProviderEntry[] = this.providers): void {
    const missing: string[] = [];
    const state = new Map<ProviderEntry, 'visiting' | 'done'>();
    const stack: ProviderEntry[] = [];
    const visit = (p: ProviderEntry): void => {
      if (state.get(p) === 'done') return;
      if (state.get(p) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(p)), p]
          .map((e) => `${e.instance} (provides "${e.token.name}")`)
          .join(' → ');
        throw new HeliosError('E_DEPENDENCY_CYCLE', `dependency cycle between plugins: ${cycle}; one of them must stop depending on the other`);
      }
      state.set(p, 'visiting');
      stack.push(p);
      for (const [name, dep] of Object.entries(p.deps)) {
        const found = this.providersOf(dep);
        if (found.length === 0 && !dep.multiple) {
          missing.push(`plugin "${p.instance}" needs "${dep.name}" (as deps.${name} of its "${p.token.name}"), but no enabled plugin provides it`);
        }
        found.forEach(visit);
      }
      stack.pop();
      state.set(p, 'done');
    };
    roots.forEach(visit);
    if (missing.length) {
      throw new HeliosError('E_DEPENDENCY_MISSING', `${missing.join('; ')}. Enable a plugin that provides it in helios.yaml`);
    }
  }

  /** Builds (once) every provider of `tokens` and what they depend on. */
  async build(tokens?: Token<unknown>[]): Promise<void> {
    const roots = tokens ? tokens.flatMap((t) => this.providersOf(t)) : [...this.providers];
    this.check(roots);
    for (const p of roots) await this.buildOne(p);
  }

  private async buildOne(p: ProviderEntry): Promise<unknown> {
    if (this.built.has(p)) return this.built.get(p);
    const deps: Record<string, unknown> = {};
    for (const [name, dep] of Object.entries(p.deps)) {
      const values: unknown[] = [];
      for (const provider of this.providersOf(dep)) values.push(await this.buildOne(provider));
      deps[name] = dep.multiple ? values : values[0];
    }
    let value: unknown;
    try {
      value = await p.factory(deps);
    } catch (err) {
      throw new HeliosError(
        'E_PLUGIN_FACTORY_FAILED',
        `plugin "${p.instance}" failed to build "${p.token.name}": ${(err as Error)?.message ?? String(err)}`,
        { cause: err, facts: { instance: p.instance } },
      );
    }
    this.built.set(p, value);
    this.buildOrder.push(p);
    this.container.register(p.token.key, { useValue: value });
    return value;
  }

  resolve<T>(token: Token<T>): T {
    if (!this.container.isRegistered(token.key)) {
      throw new HeliosError('E_TOKEN_UNRESOLVED', `nothing provides "${token.name}"; enable a plugin that provides it in helios.yaml`);
    }
    return this.container.resolve<T>(token.key);
  }

  resolveAll<T>(token: Token<T>): T[] {
    return this.container.isRegistered(token.key) ? this.container.resolveAll<T>(token.key) : [];
  }

  has(token: Token<unknown>): boolean {
    return this.container.isRegistered(token.key);
  }
}
