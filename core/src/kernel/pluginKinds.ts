import { HeliosError, type Token } from '@helios-ci/sdk';

const list = (names: readonly string[]) => (names.length ? `[${names.join(', ')}]` : '[] (nothing)');

/**
 * After register(): the instance provided exactly the kinds its definePlugin says. A secrets
 * backend that provides nothing (or under another token) is refused here, at `config check`,
 * instead of failing later with advice meant for another backend.
 */
export function checkProvidedKinds(instance: string, label: string, declared: readonly string[], provided: readonly Token<unknown>[]): void {
  const providedNames = [...new Set(provided.map((t) => t.name))];
  const missing = declared.filter((k) => !providedNames.includes(k));
  const extra = providedNames.filter((k) => !declared.includes(k));
  if (missing.length === 0 && extra.length === 0) return;
  const why = [
    missing.length ? `declares ${missing.map((k) => `"${k}"`).join(', ')} but register() did not provide ${missing.length === 1 ? 'it' : 'them'}` : '',
    extra.length ? `provided ${extra.map((k) => `"${k}"`).join(', ')} without declaring ${extra.length === 1 ? 'it' : 'them'}` : '',
  ].filter(Boolean).join(', and ');
  throw new HeliosError(
    'E_PLUGIN_INVALID',
    `plugin "${instance}" (${label}) ${why}: its kinds are ${list(declared)}, what it provided is ${list(providedNames)}. A plugin must provide exactly the kinds it declares: fix its definePlugin({ kinds }) or the ctx.provide(...) calls in register()`,
    { facts: { instance, declared: [...declared], provided: providedNames } },
  );
}
