import { Type, type Static } from '@sinclair/typebox';
import { EgressConfigSchema } from '../../egress/egressConfig.js';
import { ActionsConfigSchema } from '../../actions-source/actionsConfig.js';

export const INSTANCE_NAME = /^[a-z][a-z0-9-]*$/;

export const PluginEntrySchema = Type.Object(
  {
    use: Type.String({ minLength: 1, description: 'npm package name, or a path relative to the config file' }),
    config: Type.Optional(Type.Unknown()),
    enabled: Type.Optional(Type.Boolean({ description: 'false keeps the entry but does not load it (default true)' })),
  },
  { additionalProperties: false },
);

/** One OS of helios.yaml `vmactions:`: release (or `default`) → runs-on label. */
const VmactionsReleases = Type.Optional(
  Type.Record(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }), Type.String({ minLength: 1, maxLength: 255 })),
);

export const HeliosConfigSchema = Type.Object(
  {
    server: Type.Object(
      {
        listen: Type.String({ default: '127.0.0.1:8080', pattern: '^[^\\s:]+:\\d{1,5}$' }),
        publicUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
        dataDir: Type.String({ default: './.helios' }),
        logLevel: Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')], {
          default: 'info',
        }),
        /** Job logs, job and run views (API and pages) need the admin token: for private repositories. */
        requireAuthForLogs: Type.Boolean({ default: false }),
        /** What the agent gRPC service binds (default 127.0.0.1 and a free port); 0.0.0.0 for every interface. */
        agentListen: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
        /** The host:port guests are told to dial (default: the bound address and port). */
        agentEndpoint: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
        /** What the egress proxy binds (default 127.0.0.1 and a free port); jobs' outbound HTTP(S) goes through it. */
        egressListen: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
        /** The host:port machines are told to use as their proxy (default: the bound address and port). */
        egressEndpoint: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
        /** What the actions runtime service (cache/artifact APIs for toolkit actions) binds (default: agentListen's address, a free port). */
        actionsListen: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
        /** The host:port job steps are told for it (default: agentEndpoint's host and the bound port). */
        actionsEndpoint: Type.Optional(Type.String({ pattern: '^[^\\s:]+:\\d{1,5}$' })),
      },
      { additionalProperties: false, default: {} },
    ),
    plugins: Type.Record(Type.String({ pattern: INSTANCE_NAME.source }), PluginEntrySchema, { default: {} }),
    limits: Type.Object(
      {
        concurrentJobs: Type.Integer({ minimum: 1, default: 4 }),
        /** A job whose agent sends nothing this long is lost (its machine or host died); heartbeats go at a quarter of it, at most every 5 s. */
        agentLostSeconds: Type.Number({ minimum: 1, default: 60 }),
        jobTimeoutMinutes: Type.Integer({ minimum: 1, default: 360 }),
        stopHookTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        shutdownGraceSeconds: Type.Number({ minimum: 0, default: 30 }),
        /** A forge call taking longer counts as failed and is retried later. */
        forgeCallTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 30 }),
        /** Planning one delivery may compute this long (in a worker thread); over it the run gets a problem. */
        planTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** At most one check update per job this often (live log in the forge). */
        checkUpdateIntervalSeconds: Type.Number({ minimum: 0, default: 3 }),
        /** Webhook (plugin route) body bytes buffered at once, over all requests; beyond it: 503 + Retry-After. */
        hookBytesInFlight: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024 }),
        /** A webhook body not received in full this long after its headers is dropped (stalled clients). */
        hookBodyTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** Time for a client to send the request headers (all routes). */
        headersTimeoutSeconds: Type.Number({ exclusiveMinimum: 0, default: 15 }),
        /** Open HTTP connections at once; further ones are closed by the server at once. */
        maxConnections: Type.Integer({ minimum: 1, default: 1024 }),
        /** Live log streams (SSE) open on one job at once; beyond it: 429. */
        logStreamsPerJob: Type.Integer({ minimum: 1, default: 16 }),
        /** Live log streams open from one client address at once; beyond it: 429. */
        logStreamsPerClient: Type.Integer({ minimum: 1, default: 8 }),
        /** Log bytes kept per job: past it the head and the last part (the tail) are kept, the middle dropped. */
        maxLogBytesPerJob: Type.Integer({ minimum: 1024, default: 100 * 1024 * 1024 }),
        /** Logs of jobs finished longer ago than this are removed (0: kept forever). */
        logRetentionDays: Type.Integer({ minimum: 0, default: 90 }),
        /** Compressed log bytes kept per repository; over it the oldest job logs are removed first (0: no budget). */
        maxLogBytesPerRepository: Type.Integer({ minimum: 0, default: 10 * 1024 * 1024 * 1024 }),
        /** How often retention runs (it also runs once at start). */
        logPruneIntervalMinutes: Type.Number({ exclusiveMinimum: 0, default: 60 }),
        /** Annotations per job sent to a forge that shows them (GitHub: in batches of 50); the job page keeps all. */
        maxForgeAnnotationsPerJob: Type.Integer({ minimum: 0, default: 50 }),
        /** Largest cache entry (actions/cache archive) a job may save; a bigger upload is refused and nothing is kept. */
        maxCacheEntryBytes: Type.Integer({ minimum: 1, default: 10 * 1024 ** 3 }),
        /** Largest artifact (the zip actions/upload-artifact sends) a job may upload. */
        maxArtifactBytes: Type.Integer({ minimum: 1, default: 10 * 1024 ** 3 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** actions/cache entries (needs a Storage plugin): eviction as GitHub does it. */
    caches: Type.Object(
      {
        /** Per repository: beyond this the least recently used entries are evicted (GitHub: 10 GB). */
        maxBytesPerRepository: Type.Integer({ minimum: 0, default: 10 * 1024 ** 3 }),
        /** Entries not restored or saved for this many days are removed (GitHub: 7). */
        maxIdleDays: Type.Number({ exclusiveMinimum: 0, default: 7 }),
        /** The default branch whose caches every run may read (forges do not say it in every event). */
        defaultBranch: Type.String({ minLength: 1, default: 'main', pattern: '^[^\\s]+$' }),
        /** Eviction, idle expiry and artifact retention run this often (eviction also after every save). */
        housekeepingIntervalMinutes: Type.Number({ exclusiveMinimum: 0, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The web UI: who may see and do what (sign-in with the forge). */
    ui: Type.Object(
      {
        /** Public repositories' runs and logs are readable without signing in. */
        publicRepositoriesReadable: Type.Boolean({ default: true }),
        /** How long a user's repository permission (and a repository's visibility) read from the forge is reused. */
        permissionCacheSeconds: Type.Number({ minimum: 0, default: 60 }),
        /** A sign-in lasts this long. */
        sessionHours: Type.Number({ exclusiveMinimum: 0, default: 168 }),
        /** Sign-in providers by forge plugin instance name: its runs are authorized by this forge's permissions. */
        signIn: Type.Record(
          Type.String({ pattern: INSTANCE_NAME.source }),
          Type.Object(
            {
              type: Type.Union([Type.Literal('github'), Type.Literal('forgejo')]),
              /** The forge's web address (https://github.com, https://codeberg.org, a GitHub Enterprise host). */
              url: Type.String({ pattern: '^https?://' }),
              /** API base; default https://api.github.com for github.com, <url>/api/v3 for GitHub Enterprise, <url>/api/v1 for Forgejo. */
              apiUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
              /** The GitHub App's (or OAuth app's) client id; the Forgejo OAuth2 application's client id. */
              clientId: Type.String({ minLength: 1 }),
              /** Name of the environment variable holding the client secret (never written in this file). */
              clientSecretEnv: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
            },
            { additionalProperties: false },
          ),
          { default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    /** `helios worker` only: this host runs jobs control publishes on the queue (queue-nats). */
    worker: Type.Optional(
      Type.Object(
        {
          /** Stable name of this worker (default: the host name); its machines and subjects carry it. */
          id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$' })),
          /** Jobs this host runs at once. */
          capacity: Type.Integer({ minimum: 1, default: 2 }),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * Deployment environments (`jobs.<id>.environment`), by name (case-insensitive, as on GitHub):
     * `approval: true` holds a job of that environment until a user with write access approves it.
     */
    environments: Type.Record(
      Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\x00-\\x1f/][^\\x00-\\x1f]*$' }),
      Type.Object({ approval: Type.Boolean({ default: false }) }, { additionalProperties: false }),
      { default: {} },
    ),
    /**
     * The vmactions shim: a job with `uses: vmactions/<os>-vm@…` runs on the label its `release`
     * maps to here (`default`: when the step gives no release; a prefix picks the newest match).
     */
    vmactions: Type.Object(
      { omnios: VmactionsReleases, openindiana: VmactionsReleases, solaris: VmactionsReleases, freebsd: VmactionsReleases, netbsd: VmactionsReleases, openbsd: VmactionsReleases },
      { additionalProperties: false, default: {} },
    ),
    /** What jobs may reach through the egress proxy (per repository, per runs-on label); fork pull requests: none. */
    egress: EgressConfigSchema,
    /** Remote actions (`uses: owner/repo@ref`): allow list, sha pinning, sources tried in order, cache age. */
    actions: ActionsConfigSchema,
    /** Run artifacts (actions/upload-artifact; needs a Storage plugin). */
    artifacts: Type.Object(
      {
        /** Days an artifact is kept when the workflow gives no retention-days (GitHub: 90). */
        retentionDays: Type.Integer({ minimum: 1, default: 90 }),
        /** The most retention-days a workflow may ask for; more is capped to this. */
        maxRetentionDays: Type.Integer({ minimum: 1, default: 90 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type HeliosConfig = Static<typeof HeliosConfigSchema>;

/** What applies with no config file at all (DESIGN §2): local runtime, file secrets, SQLite. */
export const EMBEDDED_DEFAULT_CONFIG = `# Helios CI embedded defaults (used when no helios.yaml is given)
server:
  listen: 127.0.0.1:8080
  dataDir: ./.helios
plugins:
  secrets:
    use: "@helios-ci/secrets-file"
  local:
    use: "@helios-ci/runtime-local"
  storage:
    use: "@helios-ci/storage-dir"
`;
