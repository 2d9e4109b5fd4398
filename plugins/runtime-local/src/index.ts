import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { definePlugin, doctorError, doctorOk, doctorWarning, isHeliosError, RuntimeToken, Type } from '@helios-ci/sdk';
import { checkWarmPathsConfig, DEFAULT_LABELS, DEFAULT_PATH, LocalRuntime } from './localRuntime.js';
import { decideSandbox, decideSandboxAsync, NOT_ISOLATED, SANDBOX_MODES, type SandboxDecision } from './sandbox/sandboxMode.js';

export { LocalRuntime, DEFAULT_LABELS, DEFAULT_PATH, WORK_DIR, SANDBOX_RELAY, TOOL_CACHE_DIR, type LocalRuntimeOptions, type SandboxOptions } from './localRuntime.js';
export { decideSandbox, decideSandboxAsync, type SandboxMode } from './sandbox/sandboxMode.js';
export { findBwrap } from './sandbox/bwrapProbe.js';
export { INSIDE_AGENT_PORT, INSIDE_PROXY_PORT } from './sandbox/bwrap.js';

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
      sandbox: Type.Union(
        SANDBOX_MODES.map((m) => Type.Literal(m)),
        { default: 'auto', description: 'run each job in a bubblewrap sandbox: auto (when bwrap works here), required (refuse to start without it), off' },
      ),
      killGraceMs: Type.Integer({ default: 5000, minimum: 0, description: 'SIGTERM→SIGKILL grace on destroy and cancel' }),
      jobNice: Type.Integer({
        default: 10,
        minimum: 0,
        maximum: 19,
        description: "niceness of each job's agent and steps (0-19): on a busy host the server's event loop keeps the CPU before the builds; 0: the server's own",
      }),
      machineSizes: Type.Optional(
        Type.Object(
          {
            default: Type.Optional(MachineSizeSchema),
            labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), MachineSizeSchema)),
          },
          { additionalProperties: false, description: 'machine size per runs-on label (reported to jobs, not enforced: a local machine is a process)' },
        ),
      ),
      toolCache: Type.Boolean({
        default: true,
        description: "share one RUNNER_TOOL_CACHE (<workRoot>/_tool) among this host's trusted jobs, so setup-* actions reuse downloads (untrusted fork pull request jobs always start empty); false: each job starts empty",
      }),
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
    const announce = (decision: SandboxDecision): SandboxDecision => {
      if (!decision.on) {
        // `loud`: `helios run` prints it although its log goes to memory.
        ctx.logger.warn(`runtime-local ${ctx.instance}: ${NOT_ISOLATED} (${decision.why}); install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) to sandbox them`, { loud: true, sandbox: ctx.config.sandbox });
      } else {
        ctx.logger.info('jobs run in a bubblewrap sandbox', { bwrap: decision.bwrap });
      }
      return decision;
    };
    // `auto` probes bwrap while the kernel builds the rest (the store and its migrations) and the
    // start hook waits for it: it is decided and announced when the kernel has started, before any
    // job. `required` is decided in the factory, so a missing sandbox still fails the build.
    let probing: Promise<SandboxDecision> | null = null;
    ctx.onStart(async () => {
      if (probing) await probing;
    });
    ctx.provide(RuntimeToken, {
      factory: async () => {
        let decision: Promise<SandboxDecision>;
        if (ctx.config.sandbox === 'auto') {
          decision = probing = decideSandboxAsync(ctx.instance, ctx.config.sandbox, ctx.config.path).then(announce);
        } else {
          decision = Promise.resolve(announce(await decideSandboxAsync(ctx.instance, ctx.config.sandbox, ctx.config.path)));
        }
        return new LocalRuntime({
          id: ctx.instance,
          labels: ctx.config.labels,
          // Per data dir by default: reconciliation destroys every machine it lists, so two Helios
          // instances (or a `helios run` beside a `helios serve`) must never share a work root.
          workRoot: ctx.config.workRoot ? resolve(ctx.configDir, ctx.config.workRoot) : resolve(ctx.dataDir, 'machines'),
          agentPath: ctx.config.agentPath ? resolve(ctx.configDir, ctx.config.agentPath) : defaultAgentPath(),
          path: ctx.config.path,
          killGraceMs: ctx.config.killGraceMs,
          jobNice: ctx.config.jobNice,
          toolCache: ctx.config.toolCache,
          ...(ctx.config.machineSizes ? { machineSizes: ctx.config.machineSizes } : {}),
          ...(ctx.config.warmPaths ? { warmPaths: ctx.config.warmPaths } : {}),
          sandbox: decision.then((d) => (d.on ? { bwrap: d.bwrap, protectedPaths: () => ctx.protectedPaths?.() ?? [ctx.dataDir] } : null)),
        });
      },
    });
  },
  doctor(ctx) {
    const name = 'job sandbox';
    try {
      const decision = decideSandbox(ctx.instance, ctx.config.sandbox, ctx.config.path);
      if (decision.on) return [doctorOk(name, `jobs run in a bubblewrap sandbox (${decision.bwrap}): no view of the data dir, config or secrets; network only to the agent endpoint and the egress proxy`)];
      return [doctorWarning(name, `${NOT_ISOLATED} (${decision.why})`, ctx.config.sandbox === 'off' ? 'set sandbox: auto (or required) in this plugin\'s config, with bubblewrap installed' : 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow it user namespaces; sandbox: required makes its absence an error')];
    } catch (err) {
      if (!isHeliosError(err)) throw err;
      return [doctorError(name, err.message, 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set sandbox: auto')];
    }
  },
});
