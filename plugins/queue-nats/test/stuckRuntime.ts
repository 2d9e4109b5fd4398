import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `<workerDir>/stuck-runtime.mjs`, a third-party runtime plugin whose `provision` writes
 * `<gate>/provisioning` and never returns: a worker caught while it makes a job's machine. It finds
 * the sdk through `<workerDir>/node_modules` (the caller links it). Returns the script's path.
 */
export function writeStuckRuntime(workerDir: string): string {
  const gate = join(workerDir, 'gate');
  mkdirSync(gate, { recursive: true });
  const script = join(workerDir, 'stuck-runtime.mjs');
  writeFileSync(
    script,
    `import { writeFileSync } from 'node:fs';
import { definePlugin, RuntimeToken, Type } from '@helios-ci/sdk';
export default definePlugin({
  name: 'stuck-runtime',
  apiVersion: '1.x',
  kinds: ['runtime'],
  configSchema: Type.Object({ labels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) }, { additionalProperties: false }),
  register(ctx) {
    ctx.provide(RuntimeToken, {
      factory: () => ({
        id: ctx.instance,
        labels: ctx.config.labels,
        machineSize: () => ({ cpus: 1, memoryMb: 512 }),
        async provision(spec) {
          writeFileSync(${JSON.stringify(gate)} + '/provisioning', spec.jobId);
          return new Promise(() => undefined);
        },
        async destroy() {},
        async list() {
          return [];
        },
      }),
    });
  },
});
`,
  );
  return script;
}
