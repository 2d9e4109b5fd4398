import { definePlugin, QueueToken, Type } from '@helios-ci/sdk';
import { PluginQueue } from './pluginQueue.js';
import { checkPrefix, Subjects } from './subjects.js';
import type { NatsConnectionConfig } from './connection.js';
import { natsDoctor } from './doctor.js';

export { NatsQueue, type NatsQueueSettings } from './natsQueue.js';
export { NatsDispatcher, type DispatcherOptions } from './natsDispatcher.js';
export { NatsWorker, type WorkerTimings } from './natsWorker.js';
export { PluginQueue } from './pluginQueue.js';
export { connectNats, type NatsConnectionConfig } from './connection.js';
export { Subjects, labelToken } from './subjects.js';
export type { MachineEvent } from './protocol.js';

const MachineSizeSchema = Type.Object({ cpus: Type.Integer({ minimum: 1 }), memoryMb: Type.Integer({ minimum: 64 }) }, { additionalProperties: false });

interface ConnectionSettings {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  credentials?: string;
  tls?: NatsConnectionConfig['tls'];
}

function connectionOf(c: ConnectionSettings, instance: string): NatsConnectionConfig {
  return {
    servers: c.servers,
    name: `helios-${instance}`,
    ...(c.user !== undefined ? { user: c.user } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.token !== undefined ? { token: c.token } : {}),
    ...(c.credentials !== undefined ? { credentials: c.credentials } : {}),
    ...(c.tls ? { tls: c.tls } : {}),
  };
}

export default definePlugin({
  name: 'queue-nats',
  apiVersion: '1.x',
  kinds: ['queue'],
  configSchema: Type.Object(
    {
      servers: Type.Array(Type.String({ pattern: '^(nats|tls)://[^\\s]+$' }), { default: ['nats://127.0.0.1:4222'], minItems: 1, description: 'NATS server URLs' }),
      user: Type.Optional(Type.String({ minLength: 1 })),
      password: Type.Optional(Type.String({ description: 'write { secret: ... } or { env: ... }' })),
      token: Type.Optional(Type.String({ minLength: 1, description: 'write { secret: ... } or { env: ... }' })),
      credentials: Type.Optional(Type.String({ minLength: 1, description: 'contents of a NATS .creds file: { file: ... } or { secret: ... }' })),
      tls: Type.Optional(
        Type.Object(
          { ca: Type.Optional(Type.String()), cert: Type.Optional(Type.String()), key: Type.Optional(Type.String()) },
          { additionalProperties: false, description: 'PEM contents ({ file: ... }; the key as { secret: ... })' },
        ),
      ),
      stream: Type.String({ default: 'HELIOS_JOBS', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
      subjectPrefix: Type.String({ default: 'helios', minLength: 1 }),
      ackWaitSeconds: Type.Number({ default: 30, minimum: 1, description: 'a job message whose worker stops calling working() this long goes to another worker' }),
      maxDeliver: Type.Integer({ default: 10, minimum: -1, description: 'deliveries of one job message before JetStream drops it (-1: unlimited)' }),
      clusterJobCap: Type.Integer({ default: 64, minimum: 1, description: 'jobs out at once per label over every worker (max_ack_pending)' }),
      duplicateWindowSeconds: Type.Number({ default: 120, minimum: 1 }),
      labels: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'control: runs-on labels the workers serve (jobs for them are published, not run here)' }),
      machineSizes: Type.Optional(Type.Object({ default: Type.Optional(MachineSizeSchema), labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), MachineSizeSchema)) }, { additionalProperties: false })),
      agentEndpoint: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$', description: "control: HOST:PORT workers' machines reach the agent service at (default: the address it binds)" })),
      retryLostHost: Type.Integer({ default: 1, minimum: 0, description: 'control: a job whose host is lost is started again this many times' }),
      queueTimeoutMinutes: Type.Number({ default: 360, exclusiveMinimum: 0, description: 'control: a job no worker takes in this long errors' }),
      claimTimeoutSeconds: Type.Number({ default: 5, exclusiveMinimum: 0 }),
      statusIntervalSeconds: Type.Number({ default: 5, exclusiveMinimum: 0, description: 'worker: how often it asks control whether its jobs are still wanted' }),
      destroyTimeoutSeconds: Type.Number({ default: 120, exclusiveMinimum: 0 }),
    },
    { additionalProperties: false },
  ),
  register(ctx) {
    const c = ctx.config;
    checkPrefix(c.subjectPrefix);
    const queue = new PluginQueue({
      instance: ctx.instance,
      connection: connectionOf(c, ctx.instance),
      settings: {
        stream: c.stream,
        subjects: new Subjects(c.subjectPrefix),
        ackWaitMs: c.ackWaitSeconds * 1000,
        maxDeliver: c.maxDeliver,
        maxAckPending: c.clusterJobCap,
        duplicateWindowMs: c.duplicateWindowSeconds * 1000,
        baseBackoffMs: 1000,
        maxBackoffMs: 60_000,
        consumeLabels: null,
        pullExpiresMs: 1000,
      },
      dispatcher: {
        labels: c.labels,
        machineSizes: c.machineSizes ?? {},
        retryLostHost: c.retryLostHost,
        // The plugin's own setting wins; else helios.yaml's server.agentEndpoint (or a fixed agentListen).
        ...(c.agentEndpoint ? { agentEndpoint: c.agentEndpoint } : ctx.agentEndpoint ? { agentEndpoint: ctx.agentEndpoint } : {}),
        queueTimeoutMs: c.queueTimeoutMinutes * 60_000,
        destroyTimeoutMs: c.destroyTimeoutSeconds * 1000,
      },
      worker: { claimTimeoutMs: c.claimTimeoutSeconds * 1000, statusIntervalMs: c.statusIntervalSeconds * 1000 },
      logger: ctx.logger,
    });
    ctx.provide(QueueToken, { factory: () => queue });
    ctx.onStart(() => queue.start());
    ctx.onStop(() => queue.stop());
  },
  doctor: (ctx) => natsDoctor({ ...ctx, config: { ...ctx.config, connection: connectionOf(ctx.config, ctx.instance) } }),
});
