import { ForgeToken, HeliosError, RuntimeToken } from '@helios-ci/sdk';
import type { ProviderGraph } from './providerGraph.js';

/** Values whose `id` is, by contract, the instance name: the kernel routes by it. */
const ID_IS_INSTANCE = [
  { token: ForgeToken, what: 'forge', why: (id: string) => `the kernel mounts its webhooks at POST /hooks/<id>, so they would arrive at /hooks/${id}` },
  { token: RuntimeToken, what: 'runtime', why: () => 'jobs and their machines are recorded under the runtime id, so reconciliation would not find them' },
] as const;

/**
 * A forge or runtime whose id is not its instance name is refused once the values are built
 * (`Kernel.create`, so `helios config check` sees it): a hard-coded id silently moves its hooks.
 */
export function checkInstanceIds(graph: ProviderGraph, instances: { name: string; label: string }[]): void {
  const wrong: string[] = [];
  const facts: { instance: string; kind: string; id: unknown }[] = [];
  for (const inst of instances) {
    for (const { token, what, why } of ID_IS_INSTANCE) {
      for (const value of graph.builtValuesOf(inst.name, token)) {
        const id = (value as { id?: unknown } | null)?.id;
        if (id === inst.name) continue;
        facts.push({ instance: inst.name, kind: what, id });
        wrong.push(
          `plugin "${inst.name}" (${inst.label}) provides a ${what} whose id is ${JSON.stringify(id) ?? 'undefined'}, but a ${what}'s id must be its instance name "${inst.name}" (${why(String(id))}); build it with id: ctx.instance`,
        );
      }
    }
  }
  if (wrong.length) throw new HeliosError('E_PLUGIN_ID_MISMATCH', wrong.join('\n'), { facts: { mismatches: facts } });
}
