import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { definePlugin, RuntimeToken, Type } from '@helios-ci/sdk';
import { checkWarmPathsConfig, DEFAULT_LABELS, DEFAULT_PATH, LocalRuntime } from './localRuntime.js';

export { LocalRuntime, DEFAULT_LABELS, DEFAULT_PATH, WORK_DIR, type LocalRuntimeOptions } from './localRuntime.js';

/**
 * Where the agent bundle is: the `@helios-ci/agent/bundle` export of the installed agent package
 * (node_modules/@helios-ci/agent/dist/helios-agent.mjs), unless config.agentPath overrides it.
 */
export function defaultAgentPath(): string {
  return createRequire(import.meta.url).resolve('@helios-ci/agent/bundle');
}

const MachineSizeSchema = Type.Object(
  { cpus: Type.Integer({ minimum: 1 }), memoryMb: Type.Integer({ minimum: 64 }) },
  { additionalProperties: false },
);

export default definePlugin({
  name: 'runtime-local',
  // The plugin API range this package is built for (a literal: the kernel checks it against its own).
  apiVersion: '1.x',
  kinds: ['runtime'],
  configSchema: Type.Object(
    {
      labels: Type.Array(Type.String({ minLength: 1 }), { default: [...DEFAULT_LABELS], minItems: 1, description: 'runs-on labels this runtime serves' }),
      workRoot: Type.Optional(Type.String({ minLength: 1, description: "directory for machine workspaces (default: this instance's data dir + /machines), relative to helios.yaml" })),
      agentPath: Type.Optional(Type.String({ minLength: 1, description: 'the helios-agent bundle (default: the installed @helios-ci/agent)' })),
      path: Type.String({ default: DEFAULT_PATH, description: 'PATH for the agent and its steps' }),
      killGraceMs: Type.Integer({ default: 5000, minimum: 0, description: 'SIGTERM→SIGKILL grace on destroy and cancel' }),
      machineSizes: Type.Optional(
        Type.Object(
          {
            default: Type.Optional(MachineSizeSchema),
            labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), MachineSizeSchema)),
          },
          { additionalProperties: false, description: 'machine size per runs-on label (reported to jobs, not enforced: a local machine is a process)' },
        ),
      ),
      warmPaths: Type.Optional(
        Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 })), {
          description: "per runs-on label, paths kept warm between jobs through the storage's warm volumes: ~/… = the job's HOME, relative = the workspace",
        }),
      ),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    // At registration, so `helios config check` reports a bad warmPaths before anything runs.
    checkWarmPathsConfig(ctx.instance, ctx.config.labels, ctx.config.warmPaths ?? {});
    ctx.provide(RuntimeToken, {
      factory: () =>
        new LocalRuntime({
          id: ctx.instance,
          labels: ctx.config.labels,
          // Per data dir by default: reconciliation destroys every machine it lists, so two Helios
          // instances (or a `helios run` beside a `helios serve`) must never share a work root.
          workRoot: ctx.config.workRoot ? resolve(ctx.configDir, ctx.config.workRoot) : resolve(ctx.dataDir, 'machines'),
          agentPath: ctx.config.agentPath ? resolve(ctx.configDir, ctx.config.agentPath) : defaultAgentPath(),
          path: ctx.config.path,
          killGraceMs: ctx.config.killGraceMs,
          ...(ctx.config.machineSizes ? { machineSizes: ctx.config.machineSizes } : {}),
          ...(ctx.config.warmPaths ? { warmPaths: ctx.config.warmPaths } : {}),
        }),
    });
  },
});
