/**
 * The plan model: Helios's own, plain-JSON description of the jobs a workflow run consists of.
 * The workflow engine produces it; the orchestrator schedules it; the job part travels to the agent
 * (inside JobSpec) over gRPC. No parser objects leak into it. Bump PLAN_VERSION on incompatible change.
 *
 * Strings that may hold `${{ }}` expressions are typed `Expr`: they are kept as written and evaluated
 * where their contexts exist (job `if` when needs finish; step fields on the agent at step time).
 */
import { Type, type Static } from './typebox.js';

export const PLAN_VERSION = 1;

const Expr = Type.String({ description: 'text that may contain ${{ }} expressions, evaluated later' });
const StringMap = Type.Record(Type.String(), Type.String());
const Json = Type.Unknown();

export const BuiltinActionSchema = Type.Union([
  Type.Literal('checkout'),
  Type.Literal('cache'),
  Type.Literal('cache-restore'),
  Type.Literal('cache-save'),
  Type.Literal('upload-artifact'),
  Type.Literal('download-artifact'),
]);
export type BuiltinAction = Static<typeof BuiltinActionSchema>;

const StepCommon = {
  /** `id:` of the step, or a generated `__N` id (GitHub's runner does the same). */
  id: Type.String(),
  /** Display name; `Run <first line>` for unnamed run steps, as GitHub shows it. */
  name: Expr,
  if: Type.Union([Expr, Type.Null()], { description: 'null means success()' }),
  env: Type.Record(Type.String(), Expr),
  continueOnError: Type.Union([Type.Boolean(), Expr]),
  timeoutMinutes: Type.Union([Type.Number(), Type.Null()]),
};

export const RunStepSchema = Type.Object({
  ...StepCommon,
  kind: Type.Literal('run'),
  run: Expr,
  /** Shell name or template (`bash`, `sh`, `python`, `pwsh`, `custom {0}`); null = defaults/auto. */
  shell: Type.Union([Type.String(), Type.Null()]),
  workingDirectory: Type.Union([Expr, Type.Null()]),
});

export const BuiltinStepSchema = Type.Object({
  ...StepCommon,
  kind: Type.Literal('builtin'),
  action: BuiltinActionSchema,
  /** As written in the workflow, e.g. `actions/checkout@v4`. */
  uses: Type.String(),
  with: Type.Record(Type.String(), Expr),
});

export type RunStep = Static<typeof RunStepSchema>;
export type BuiltinStep = Static<typeof BuiltinStepSchema>;
/** A remote action's files: fetched by sha over the agent protocol (FetchAction). */
export const RemoteActionRefSchema = Type.Object({
  /** `owner/name` of the repository. */
  repo: Type.String(),
  /** Sub-directory of the action in that repository ('' for the root). */
  path: Type.String(),
  /** The ref as written (`v4`, a branch, a sha). */
  ref: Type.String(),
  /** The commit the ref resolved to at plan time (40 hex). */
  sha: Type.String(),
});
export type RemoteActionRef = Static<typeof RemoteActionRefSchema>;

/** A JavaScript action from a repository (`uses: owner/repo[/path]@ref`, runs.using node20|node24). */
export const NodeActionStepSchema = Type.Object({
  ...StepCommon,
  kind: Type.Literal('node-action'),
  /** As written, e.g. `dtolnay/rust-toolchain@stable`. */
  uses: Type.String(),
  action: RemoteActionRefSchema,
  using: Type.Union([Type.Literal('node20'), Type.Literal('node24')]),
  /** Paths relative to the action directory. */
  main: Type.String(),
  pre: Type.Optional(Type.String()),
  post: Type.Optional(Type.String()),
  /** As written in action.yml; absent means always() (GitHub's default for pre-if/post-if). */
  preIf: Type.Optional(Expr),
  postIf: Type.Optional(Expr),
  with: Type.Record(Type.String(), Expr),
  /** Input defaults from action.yml (`with` wins). */
  inputDefaults: StringMap,
  /** Inputs action.yml marks `required: true` that have no default. */
  requiredInputs: Type.Array(Type.String()),
});
export type NodeActionStep = Static<typeof NodeActionStepSchema>;
export interface CompositeStep {
  id: string;
  name: string;
  if: string | null;
  env: Record<string, string>;
  continueOnError: boolean | string;
  timeoutMinutes: number | null;
  kind: 'composite';
  /** As written, e.g. `./.github/actions/setup`. */
  uses: string;
  /** Present for remote composite actions: the tree the agent fetches (github.action_path). */
  action?: RemoteActionRef;
  with: Record<string, string>;
  /** Input defaults from action.yml (`with` wins). */
  inputDefaults: Record<string, string>;
  /** Output name → expression over the composite's own `steps` context. */
  outputs: Record<string, string>;
  steps: Step[];
}
export type Step = RunStep | BuiltinStep | NodeActionStep | CompositeStep;

export const CompositeStepSchema = Type.Recursive((This) =>
  Type.Object({
    ...StepCommon,
    kind: Type.Literal('composite'),
    uses: Type.String(),
    action: Type.Optional(RemoteActionRefSchema),
    with: Type.Record(Type.String(), Expr),
    inputDefaults: StringMap,
    outputs: Type.Record(Type.String(), Expr),
    steps: Type.Array(Type.Union([RunStepSchema, BuiltinStepSchema, NodeActionStepSchema, This])),
  }),
);
export const StepSchema = Type.Union([RunStepSchema, BuiltinStepSchema, NodeActionStepSchema, CompositeStepSchema]);

/**
 * How a job with a `uses: vmactions/<os>-vm@…` step was planned: the image label its `release`
 * mapped to through helios.yaml `vmactions:`, the machine size it asked for (`mem`/`cpu`, clamped to
 * the label's size when the machine is made) and what of the action's inputs Helios ignores.
 */
export const VmactionsMappingSchema = Type.Object({
  /** As written, e.g. `vmactions/omnios-vm@v1`. */
  uses: Type.String(),
  /** `omnios`, `openindiana`, `solaris`, `freebsd`, `netbsd` or `openbsd`. */
  os: Type.String(),
  /** The release asked for (`r151054`, a prefix, or `default` when the step gives none). */
  release: Type.String(),
  /** The configured release it matched (`default` when none was asked for). */
  matched: Type.String(),
  /** The runs-on label the job was planned onto instead of its own runs-on. */
  label: Type.String(),
  /** `custom-shell-name`: later steps with `shell: <name> {0}` run with `sh`. */
  shell: Type.String(),
  /** `mem` (MB) and `cpu` when the step gives them. */
  size: Type.Object({ cpus: Type.Optional(Type.Integer({ minimum: 1 })), memoryMb: Type.Optional(Type.Integer({ minimum: 1 })) }),
  /** Inputs accepted but ignored, and why (also printed in the job log). */
  notes: Type.Array(Type.String()),
  /**
   * `cache-after-prepare: true`: the prepared snapshot's name (a hash of the prepare script, OS and
   * release) and the id of the prepare step after which the machine is snapshotted, or which is
   * skipped when the job starts from the snapshot.
   */
  cacheAfterPrepare: Type.Optional(Type.Object({ key: Type.String({ pattern: '^[0-9a-f]{16,64}$' }), prepareStep: Type.String() })),
});
export type VmactionsMapping = Static<typeof VmactionsMappingSchema>;

export const JobPlanSchema = Type.Object({
  /** Unique within the run: `<workflow file>#<job key>` plus ` (<matrix values>)` for matrix jobs. */
  id: Type.String(),
  workflow: Type.Object({ file: Type.String(), name: Type.String() }),
  /** The key under `jobs:`; shared by every matrix instance of the job. */
  jobKey: Type.String(),
  /** Display name with matrix and github expressions already evaluated. */
  name: Type.String(),
  matrix: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
  /** Job keys (same workflow) this job waits for; every matrix instance of each. */
  needs: Type.Array(Type.String()),
  if: Type.Union([Expr, Type.Null()], { description: 'evaluated when needs finish; null means success()' }),
  /** The runs-on labels after expression evaluation; a configured runtime serves all of them. */
  runsOn: Type.Array(Type.String()),
  /** workflow env overlaid with job env (the agent overlays step env). */
  env: Type.Record(Type.String(), Expr),
  defaults: Type.Object({
    shell: Type.Union([Type.String(), Type.Null()]),
    workingDirectory: Type.Union([Type.String(), Type.Null()]),
  }),
  timeoutMinutes: Type.Number(),
  continueOnError: Type.Union([Type.Boolean(), Expr]),
  concurrency: Type.Union([Type.Object({ group: Type.String(), cancelInProgress: Type.Boolean() }), Type.Null()]),
  strategy: Type.Object({
    failFast: Type.Boolean(),
    maxParallel: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  }),
  /** Output name → expression over the `steps` context, evaluated by the agent at job end. */
  outputs: Type.Record(Type.String(), Expr),
  /** Secret names the job's expressions reference (`secrets.X`); only those are resolved. */
  secretNames: Type.Array(Type.String()),
  steps: Type.Array(StepSchema),
  /**
   * Jobs of a called (reusable) workflow: its `inputs` context (typed as `on.workflow_call.inputs`
   * declares them). Absent for other jobs, which see the event's inputs. Optional: plan version 1.
   */
  inputs: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
  /**
   * Jobs of a called workflow: the calls they belong to, outermost first. `caller` is the jobKey
   * the calling job would have (`call`, `call/inner`): `needs: [call]` waits for every job whose
   * jobKey starts with `call/`, and `needs.call.outputs` are `outputs` evaluated over the `jobs`
   * context of that call's own jobs (`on.workflow_call.outputs.<name>.value`).
   */
  workflowCalls: Type.Optional(
    Type.Array(
      Type.Object({
        caller: Type.String(),
        outputs: Type.Record(Type.String(), Expr),
        /**
         * One call of a matrix of calls (`strategy.matrix` on the calling job): `caller` is
         * `<key> (<matrix values>)` and `matrixOf` the calling job's key (`needs: [<key>]` waits
         * for every call; its outputs are the last finished call's). `failFast` cancels the other
         * calls when a job of this one fails; `maxParallel` bounds the calls running at once.
         */
        matrixOf: Type.Optional(Type.String()),
        failFast: Type.Optional(Type.Boolean()),
        maxParallel: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
        /** `concurrency:` of the calling job, evaluated for this call: the call's jobs hold it together. */
        concurrency: Type.Optional(Type.Object({ group: Type.String(), cancelInProgress: Type.Boolean() })),
      }),
    ),
  ),
  /**
   * Jobs of a called workflow: the secret each name in secretNames is read from (`secrets:` of the
   * call, or the same name with `secrets: inherit`). Names the caller does not pass are empty, as on
   * GitHub, and are not in secretNames.
   */
  secretSources: Type.Optional(Type.Record(Type.String(), Type.String())),
  /**
   * `environment:` of the job, its name evaluated at plan time: selects environment-scoped secrets
   * and may require approval before the job starts (helios.yaml `environments.<name>.approval`).
   * `url` is kept as written (it may read steps). Absent: no environment.
   */
  environment: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }), url: Type.Union([Expr, Type.Null()]) })),
  /**
   * `permissions:` of the job, else of its workflow, as written (`read-all`, `write-all` or scope →
   * read/write/none); what the job's GITHUB_TOKEN may do. Absent: neither says, so the restricted
   * default applies (core/src/orchestrator/jobTokenPermissions.ts). Optional: plan version 1.
   */
  permissions: Type.Optional(Type.Union([Type.Literal('read-all'), Type.Literal('write-all'), Type.Record(Type.String(), Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('none')]))])),
  /** A `uses: vmactions/<os>-vm` step the job was mapped for (the job page shows it). Optional: plan version 1. */
  vmactions: Type.Optional(VmactionsMappingSchema),
});
export type JobPlan = Omit<Static<typeof JobPlanSchema>, 'steps'> & { steps: Step[] };

export const PlanEventSchema = Type.Object({
  name: Type.Union([Type.Literal('push'), Type.Literal('pull_request'), Type.Literal('workflow_dispatch')]),
  /** Full ref: `refs/heads/main`, `refs/tags/v1`, for pull_request the base branch ref. */
  ref: Type.String(),
  sha: Type.Optional(Type.String()),
  /** pull_request: activity type (opened, synchronize, reopened, ...). */
  action: Type.Optional(Type.String()),
  /** pull_request: the head branch ref. */
  headRef: Type.Optional(Type.String()),
  /** pull_request: the pull request's number (its cache scope is `refs/pull/<number>/merge`). */
  number: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The repository's default branch name, when the forge event says (cache and warm-path reads fall back to it). */
  defaultBranch: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[^\\s]+$' })),
  /** Changed paths for `paths` filters; absent means unknown (paths filters then match). */
  changedFiles: Type.Optional(Type.Array(Type.String())),
  inputs: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type PlanEvent = Static<typeof PlanEventSchema>;

export const PlanProblemSchema = Type.Object({
  file: Type.String(),
  line: Type.Optional(Type.Integer()),
  col: Type.Optional(Type.Integer()),
  message: Type.String(),
  code: Type.String(),
});
export type PlanProblem = Static<typeof PlanProblemSchema>;

export const RunPlanSchema = Type.Object({
  version: Type.Literal(PLAN_VERSION),
  event: PlanEventSchema,
  /** Workflows whose triggers matched, with their jobs. */
  workflows: Type.Array(
    Type.Object({
      file: Type.String(),
      name: Type.String(),
      /** Workflow-level `concurrency:` (group evaluated where possible); absent when not set. */
      concurrency: Type.Optional(Type.Object({ group: Type.String(), cancelInProgress: Type.Boolean() })),
    }),
  ),
  jobs: Type.Array(JobPlanSchema),
  /** Invalid workflows become problems (and failed checks), never a silent nothing. */
  problems: Type.Array(PlanProblemSchema),
});
export type RunPlan = Omit<Static<typeof RunPlanSchema>, 'jobs'> & { jobs: JobPlan[] };

/** What the agent receives: one job of the plan plus everything resolved at dispatch. */
export interface JobSpec {
  planVersion: typeof PLAN_VERSION;
  runId: string;
  jobId: string;
  job: JobPlan;
  repository: {
    /** `owner/name`. */
    fullName: string;
    cloneUrl: string;
    /** Short-lived read-only credential, never logged. */
    token?: string;
    sha: string;
    ref: string;
  };
  /** The `github` expression context (event, sha, ref, repository, actor, ...). */
  github: Record<string, unknown>;
  /** `needs.<job>.result|outputs` of the jobs this one needs. */
  needs: Record<string, { result: string; outputs: Record<string, string> }>;
  /** The event's inputs, or for a job of a called workflow the call's (typed: string, number, boolean). */
  inputs: Record<string, string | number | boolean>;
  vars: Record<string, string>;
  /** Only the secrets the job references; empty for untrusted runs. Every value is masked. */
  secrets: Record<string, string>;
  /**
   * The job's warm paths (`Runtime.warmPaths` of its label; syntax in warmPaths.ts), present only
   * when the runtime was given a warm volume for them: after the checkout the agent makes path `i`
   * resolve to `<warm volume>/<i>`. Optional, so the plan version stays 1 (an older agent ignores it).
   */
  warmPaths?: string[];
  /**
   * The server's actions runtime services (cache and artifact APIs of @actions/cache and
   * @actions/artifact), when it has a Storage: the agent puts them in every step's env as
   * ACTIONS_RESULTS_URL, ACTIONS_CACHE_URL, ACTIONS_RUNTIME_TOKEN (masked) and, when cacheServiceV2,
   * ACTIONS_CACHE_SERVICE_V2. The token is this job's, dead when the job ends. Optional: the plan
   * version stays 1 (an older agent ignores it).
   */
  actionsRuntime?: ActionsRuntimeAccess;
  /**
   * A top-level step id: after it ends the agent waits until the server acknowledged that step's end
   * before it starts the next step, so the server can act on the stopped machine in between (vmactions
   * cache-after-prepare snapshots its disk). Optional: an older agent ignores it (no pause).
   */
  pauseAfterStep?: string;
}

export interface ActionsRuntimeAccess {
  /** Base URL of the Twirp services (ends with '/'). */
  resultsUrl: string;
  /** Base URL of the v1 cache REST API (ends with '/'). */
  cacheUrl: string;
  token: string;
  cacheServiceV2: boolean;
}
