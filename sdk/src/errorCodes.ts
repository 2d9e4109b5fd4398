/**
 * The registry of every error code the kernel and the plugins in this repository raise. A code is
 * a contract: scripts match on it, the docs explain it, and the kernel maps it to an HTTP status
 * (and from that a gRPC status) and decides from `retryable` whether an outbox write or a planning
 * attempt is tried again. `HeliosError` only accepts codes listed here (or registered by a plugin
 * with `defineErrorCodes`), so a typo is a compile error, not a silent 500.
 */
export interface ErrorCodeInfo {
  /** One sentence: what went wrong, for the docs and `helios` error listings. */
  readonly meaning: string;
  /** The HTTP status an API answer with this error carries (4xx: the caller's fault, 5xx: ours or upstream). */
  readonly http: number;
  /** True when the same call may succeed later unchanged (outbox writes and planning retry these). */
  readonly retryable: boolean;
}

const c = (http: number, retryable: boolean, meaning: string): ErrorCodeInfo => ({ http, retryable, meaning });

export const ERROR_CODES = {
  // Generic, used by every layer.
  E_INTERNAL: c(500, false, 'A bug in Helios: something failed that should not have; the message has the details to report.'),
  E_USAGE: c(400, false, 'A command was called with options it does not take.'),
  E_NOT_FOUND: c(404, false, 'The thing asked for does not exist.'),
  E_UNAUTHORIZED: c(401, false, 'The request carries no valid credential.'),
  E_FORBIDDEN: c(403, false, 'The credential is valid but does not allow this.'),
  E_SIGN_IN_FAILED: c(401, false, 'Signing in with the forge failed (a refused, used or expired code, or an unknown sign-in state); sign in again.'),
  E_CSRF_INVALID: c(403, false, 'A form or request of the web UI came without this session\'s CSRF token (or from another site); reload the page and try again.'),
  E_CONFLICT: c(409, false, 'The request conflicts with the current state.'),
  E_RATE_LIMITED: c(429, true, 'Too many requests; retry after the time the answer names.'),
  E_UNAVAILABLE: c(503, true, 'A service Helios needs is not available right now.'),
  E_TIMEOUT: c(504, true, 'An operation took longer than its time limit.'),
  E_CANCELLED: c(409, false, 'The operation was cancelled.'),
  E_UNIMPLEMENTED: c(501, false, 'This Helios has no implementation for what was asked (often: a plugin is not configured).'),
  E_PAYLOAD_TOO_LARGE: c(413, false, 'A request body or upload is over its size limit.'),
  E_CLIENT_ABORTED: c(400, false, 'The client closed the connection before its request was complete (logged at debug, never answered).'),
  E_REQUEST_TIMEOUT: c(408, false, 'The client did not send its request body in time; the connection was dropped.'),
  E_SERVER_BUSY: c(503, true, 'The server is at a configured limit (webhook bytes in flight); retry after the time the answer names.'),
  E_BODY_INVALID: c(400, false, 'A request body is not the JSON the endpoint takes.'),
  E_PARAMS_INVALID: c(400, false, 'A path parameter is malformed.'),
  E_QUERY_INVALID: c(400, false, 'A query-string parameter is malformed.'),

  // Configuration and the kernel.
  E_CONFIG_INVALID: c(400, false, 'helios.yaml has problems; each is listed with file:line:col.'),
  E_CONFIG_NOT_FOUND: c(400, false, 'The config file named does not exist.'),
  E_CONFIG_UNREADABLE: c(400, false, 'The config file exists but cannot be read.'),
  E_KERNEL_STATE: c(500, false, 'A kernel lifecycle call came in the wrong state (start twice, start after stop).'),
  E_HTTP_ROUTE_CONFLICT: c(500, false, 'Two plugin instances mount the same HTTP route.'),
  E_PLUGIN_NOT_FOUND: c(400, false, 'A plugin named in helios.yaml is not installed or its path does not exist.'),
  E_PLUGIN_IMPORT_FAILED: c(400, false, 'Importing a plugin module threw.'),
  E_PLUGIN_INVALID: c(400, false, 'A module is not a Helios plugin (no definePlugin brand, bad schema, or provides what its kinds do not say).'),
  E_PLUGIN_API_MISMATCH: c(400, false, "A plugin was built for a plugin API range this kernel's version is outside of."),
  E_PLUGIN_ID_MISMATCH: c(400, false, 'A plugin value reports an id other than its instance name (a forge must answer to /hooks/<instance>).'),
  E_PLUGIN_REGISTER_FAILED: c(400, false, "A plugin's register() threw."),
  E_PLUGIN_FACTORY_FAILED: c(500, false, "A plugin's provider factory threw while the kernel built its value."),
  E_PLUGIN_START_FAILED: c(500, false, "A plugin's onStart hook threw; the kernel stopped what had started."),
  E_PLUGIN_LATE_REGISTRATION: c(500, false, 'A plugin called ctx.provide/onStart/... after register() returned.'),
  E_TOKEN_CONFLICT: c(400, false, 'Two plugins provide a single-valued token.'),
  E_TOKEN_UNRESOLVED: c(500, false, 'Nothing provides a token that was asked for.'),
  E_DEPENDENCY_MISSING: c(400, false, 'A plugin depends on a token no enabled plugin provides.'),
  E_DEPENDENCY_CYCLE: c(400, false, 'Plugins depend on each other in a loop.'),
  E_LISTEN_FAILED: c(500, false, 'The server cannot listen on the configured address.'),
  E_ADMIN_TOKEN_FILE: c(500, false, 'The generated admin token file cannot be written.'),
  E_ADMIN_TOKEN_INVALID: c(500, false, 'HELIOS_ADMIN_TOKEN is set but too short to be safe.'),

  // Store.
  E_STORE_OPEN: c(500, false, 'The SQLite store cannot be opened.'),
  E_STORE_MIGRATION: c(500, false, 'A store migration failed; the store stays at the previous version.'),
  E_STORE_TOO_NEW: c(500, false, 'The store was written by a newer Helios.'),
  // Backups and the data dir (issue 20).
  E_DATA_DIR_LOCKED: c(409, false, 'A running helios serve holds the data dir (serve.pid); stop it first.'),
  E_BACKUP_NO_STORE: c(404, false, 'There is no store in server.dataDir to back up.'),
  E_BACKUP_EXISTS: c(409, false, 'The backup file already exists; backups are never overwritten.'),
  E_BACKUP_FAILED: c(500, false, 'SQLite could not write the backup (target not writable or full).'),
  E_RESTORE_NOT_FOUND: c(404, false, 'The file to restore does not exist.'),
  E_RESTORE_NOT_A_STORE: c(400, false, 'The file to restore is not a Helios store.'),
  E_RESTORE_TOO_NEW: c(400, false, 'The backup was written by a newer Helios (its schema version is ahead).'),
  E_RESTORE_DAMAGED: c(400, false, 'The backup fails PRAGMA integrity_check.'),
  E_IMAGE_INVALID: c(422, false, 'A golden image source lacks what a job needs (cloud-init, node ≥ 20), or is not a directory or dataset.'),
  E_IMAGE_EXISTS: c(409, false, 'The image dataset exists and cannot be rebuilt from a dataset.'),
  E_IMAGE_ZFS_FAILED: c(500, false, 'A zfs command of helios image failed; the message has its output.'),
  E_IMAGE_NO_STORAGE: c(400, false, 'helios image needs a storage-zfs plugin in helios.yaml (or --parent).'),
  E_LOG_CHUNK_CORRUPT: c(500, false, 'A compacted log chunk in the store cannot be decoded.'),
  E_LOG_COMPACT_CHANGED: c(409, false, 'A job log changed while it was being compacted; compaction is retried.'),
  E_INBOX_NOT_FOUND: c(404, false, 'An inbox delivery id does not exist.'),
  E_INBOX_STATE: c(409, false, 'An inbox delivery cannot move to the state asked for.'),
  E_RUN_NOT_FOUND: c(404, false, 'A run id does not exist.'),
  E_RUN_STATE: c(409, false, 'A run is already completed.'),
  E_RUN_SOURCE: c(500, false, 'A run has no source to clone from.'),
  E_RUN_REQUEST_INVALID: c(400, false, 'A POST /api/runs body is invalid.'),
  E_JOB_ID_INVALID: c(400, false, 'A job id is not of the form this component accepts.'),
  E_JOB_NOT_FOUND: c(404, false, 'A job id does not exist.'),
  E_JOB_STATE: c(409, false, 'A job cannot move to the state asked for (or moved concurrently).'),
  E_JOB_FINAL: c(409, false, 'The job already ended; there is nothing to cancel.'),
  E_JOB_NOT_FINAL: c(409, false, 'The job is still running; it cannot be re-run yet.'),
  E_STEP_STATE: c(409, false, 'A step cannot move to the state asked for.'),
  E_CHECK_EXISTS: c(409, false, 'A check with this id was already opened.'),
  E_CHECK_NOT_FOUND: c(404, false, 'A check id does not exist.'),
  E_CHECK_NOT_OPEN: c(409, false, 'A check has no forge handle yet; it cannot be updated.'),
  E_APPROVAL_NOT_FOUND: c(404, false, 'An approval id does not exist.'),
  E_APPROVAL_STATE: c(409, false, 'An approval was already decided.'),
  E_NOTHING_TO_RERUN: c(409, false, 'A re-run selection chose no jobs.'),
  E_NOTHING_TO_RUN: c(422, false, 'No workflow triggers for the event asked for.'),
  E_LAST_EVENT_ID_INVALID: c(400, false, 'The SSE Last-Event-ID header is not a line number.'),

  // Queue.
  E_QUEUE_MESSAGE_INVALID: c(400, false, 'A queue message lacks a field.'),
  E_QUEUE_CAPACITY_INVALID: c(400, false, 'consume() was called with a capacity that is not a positive integer.'),
  E_QUEUE_UNREACHABLE: c(503, true, 'The queue server (NATS) cannot be reached or refused the request.'),
  E_NO_WORKER: c(503, true, 'No worker took a job for its label in time (none serves it, or all are busy or down).'),
  E_WORKER_UNREACHABLE: c(503, true, 'The worker that holds a machine did not answer (it is down); it destroys the machine when it comes back.'),
  E_HOST_LOST: c(503, true, 'The worker that took a job stopped answering before the job\'s agent connected; the job is started again on another worker (retryLostHost) or ends errored.'),

  // Storage.
  E_STORAGE_NAME_INVALID: c(400, false, 'A job id, image name or storage id handed to a storage backend is not of the form it accepts (1-128 of [A-Za-z0-9._-], no leading dot or dash, no ".."; ids: [A-Za-z0-9._/-]).'),
  E_STORAGE_IMAGE_NOT_FOUND: c(422, false, 'The golden image named is not in the storage backend; prepare it (a directory, a dataset snapshot) first.'),
  E_STORAGE_QUOTA: c(413, false, "A blob write would take the repository over its storage quota; nothing was stored."),
  E_STORAGE_FAILED: c(500, false, 'The storage backend failed an operation (a copy, a zfs command, a disk error); the message has the command and its output.'),

  // Orchestration and runtimes.
  E_NO_RUNTIME: c(422, false, "No configured runtime serves the job's runs-on label."),
  E_LABEL_NOT_FOUND: c(422, false, 'A runtime was asked for a label it does not serve.'),
  E_MACHINE_ID_INVALID: c(400, false, 'A machine id is not one this runtime makes.'),
  E_TRACKING_MARKER_INVALID: c(400, false, "A process-tracking marker (HELIOS_TRACKING_ID) is not of the form the scan accepts."),
  E_PROVISION_FAILED: c(503, true, "A runtime could not start a job's machine."),
  E_SANDBOX_UNAVAILABLE: c(503, false, "runtime-local's sandbox is required (config sandbox: required) but bubblewrap is missing or refused on this host."),
  E_AGENT_NOT_FOUND: c(500, false, 'The agent bundle a runtime starts does not exist.'),
  E_EXPRESSION_INVALID: c(400, false, 'An expression cannot be evaluated.'),
  E_FORGE_NOT_CONFIGURED: c(422, false, 'A run came from a forge instance that is no longer configured.'),

  // Agent protocol.
  E_AGENT_TOKEN_INVALID: c(401, false, 'An agent presented no job token or an unknown one.'),
  E_AGENT_TOKEN_EXPIRED: c(401, false, "An agent presented a token whose job has ended."),
  E_AGENT_ALREADY_CONNECTED: c(409, true, 'A job already has a connected agent.'),
  E_AGENT_PROTOCOL_INVALID: c(400, false, 'An agent broke the session protocol.'),
  E_AGENT_PROTOCOL_MISMATCH: c(412, false, 'The agent speaks another protocol version than the server.'),
  E_PLAN_VERSION_INVALID: c(400, false, 'A job spec was planned by an incompatible Helios.'),
  E_UPLOAD_NAME_INVALID: c(400, false, 'An artifact or cache upload name is not allowed.'),
  E_UPLOAD_INCOMPLETE: c(400, false, 'An upload stream was cut off (cancelled or broken) before it ended; nothing was kept.'),

  // Caches and artifacts.
  E_CACHE_KEY_INVALID: c(400, false, 'A cache key is not one actions/cache accepts (over 512 characters, a comma, empty, more than 10 keys).'),
  E_CACHE_VERSION_INVALID: c(400, false, 'A cache request carries no version.'),
  E_CACHE_TOO_LARGE: c(413, false, 'A cache entry is over the configured maximum size (limits.maxCacheEntryBytes).'),
  E_ARTIFACT_NAME_INVALID: c(400, false, 'An artifact name is not one actions/upload-artifact v4 accepts.'),
  E_ARTIFACT_EXISTS: c(409, false, 'An artifact of that name already exists in the run and overwrite was not asked for.'),
  E_ARTIFACT_TOO_LARGE: c(413, false, 'An artifact is over the configured maximum size (limits.maxArtifactBytes).'),
  E_ARTIFACT_NOT_FOUND: c(404, false, 'No artifact of that name exists in the run (or it expired).'),
  E_ARTIFACT_ZIP_INVALID: c(422, false, 'An artifact zip cannot be extracted safely (an entry outside the target directory, or a broken zip).'),

  // Git and repositories.
  E_GIT_MISSING: c(500, false, 'git is not installed.'),
  E_GIT_FAILED: c(500, true, 'A git command failed (often a network or remote problem; retried where it matters).'),
  E_GIT_TIMEOUT: c(504, true, 'A git command took longer than its time limit.'),
  E_REF_INVALID: c(400, false, 'A git ref name is not valid.'),
  E_REF_NOT_FOUND: c(404, false, 'A ref does not name a commit in the repository.'),
  E_REPOSITORY_INVALID: c(400, false, 'A repository URL or path is not one Helios clones.'),
  E_REPOSITORY_UNREACHABLE: c(422, true, 'A repository cannot be fetched.'),
  E_NOT_A_REPOSITORY: c(400, false, 'The directory is not a git repository.'),
  E_NO_COMMITS: c(400, false, 'The repository has no commits.'),

  // Workflows.
  E_WORKFLOW_INVALID: c(400, false, 'Workflow files have problems; each is listed with file:line:col.'),
  E_WORKFLOW_NONE: c(400, false, 'No workflow files were found.'),
  E_WORKFLOW_NOT_FOUND: c(404, false, 'A workflow file named does not exist.'),
  E_WORKFLOW_UNREADABLE: c(400, false, 'A workflow file is too big, binary or not UTF-8.'),
  E_WORKFLOW_YAML: c(400, false, 'A workflow file is not valid YAML (or hits a YAML limit).'),
  E_WORKFLOW_SCHEMA: c(400, false, "A workflow file does not match GitHub's workflow schema."),
  E_WORKFLOW_TRIGGER: c(400, false, 'A workflow trigger (on:) is invalid.'),
  E_WORKFLOW_NEEDS: c(400, false, 'A job needs an unknown job, or needs form a cycle.'),
  E_WORKFLOW_MATRIX: c(400, false, 'A matrix is invalid or too large.'),
  E_WORKFLOW_RUNS_ON: c(400, false, "A job's runs-on names no label a configured runtime serves."),
  E_WORKFLOW_ACTION: c(400, false, 'A uses: step names an action Helios cannot run.'),
  E_WORKFLOW_EXPRESSION: c(400, false, 'An expression in a workflow is invalid.'),
  E_WORKFLOW_INPUT: c(400, false, 'workflow_dispatch inputs are missing or invalid.'),
  E_WORKFLOW_REFUSED: c(400, false, 'A workflow uses a feature Helios refuses on purpose (pull_request_target).'),
  E_WORKFLOW_UNSUPPORTED: c(400, false, 'A workflow uses a feature Helios does not support yet.'),
  E_WORKFLOW_TIMEOUT: c(400, false, 'Planning workflows took longer (or more memory) than its limit and was stopped.'),
  E_WORKFLOW_SYMLINK: c(400, false, 'A workflow or action file is a symbolic link leading out of the repository.'),
  E_ACTION_ARCHIVE: c(502, false, 'A remote action\'s archive could not be unpacked into the action cache (not a tar with one top directory, or no tar on the host).'),
  E_ACTION_REF: c(400, false, 'A remote action reference is not owner/repo at a 40-hex commit.'),
  E_PLAN_FAILED: c(500, false, 'Planning failed unexpectedly (a Helios defect); the delivery is marked failed.'),

  // Forges and webhooks.
  E_SIGNATURE_INVALID: c(401, false, 'A webhook delivery has a missing or wrong signature.'),
  E_WEBHOOK_INVALID: c(400, false, 'A webhook delivery lacks headers or fields the forge always sends.'),
  E_WEBHOOK_FAILED: c(500, false, 'A forge plugin failed to read a delivery.'),
  E_FORGE_REJECTED: c(422, false, 'The forge refused a request for good (bad input, missing permission, not installed).'),
  E_FORGE_UNAUTHORIZED: c(502, true, "The forge refused Helios's credentials."),
  E_FORGE_UNAVAILABLE: c(502, true, 'The forge failed or could not be reached; the call is retried.'),
  E_FORGE_RATE_LIMITED: c(429, true, 'The forge rate-limited Helios; the call waits and is retried.'),
  E_FORGE_TIMEOUT: c(504, true, 'A forge call got no answer in time; it is retried.'),
  E_FORGE_NO_READ_ONLY_CREDENTIAL: c(403, false, 'An untrusted run (approved fork pull request) needs a read-only clone credential for a private repository; none is configured.'),
  E_FORGE_JOB_TOKEN: c(422, false, 'The forge refused to mint a job token (GITHUB_TOKEN) with the permissions the workflow asks for; the job runs without one.'),

  // Storage (image clones, warm paths, caches and artifacts).
  E_STORAGE_FULL: c(507, true, 'The storage pool is out of space; nothing was kept.'),
  E_STORAGE_BUSY: c(503, true, 'A dataset stayed busy (mounted, in use) through every retry.'),
  E_STORAGE_IN_USE: c(409, false, 'A dataset cannot be destroyed while clones made from it exist.'),
  E_STORAGE_UNAVAILABLE: c(503, true, 'The storage backend is not reachable (the ZFS daemon is not running, the pool is not imported).'),
  E_STORAGE_CONFIG: c(500, false, 'The storage configuration does not match the system (missing parent dataset, no mountpoint, missing command).'),

  // Secrets.
  E_SECRET_NAME_INVALID: c(400, false, 'A secret name is not of the form [A-Za-z_][A-Za-z0-9_]*.'),
  E_SECRET_NOT_FOUND: c(404, false, 'A job references a secret the backend does not hold at any of the places it looks.'),
  E_SECRET_IS_CONFIG_SECRET: c(403, false, "A job secret has the same value as one of the server's own (config) secrets; it is refused."),
  E_SECRETS_FILE_INVALID: c(500, false, 'The secrets file is not the YAML map secrets-file reads.'),
  E_SECRETS_FILE_NOT_FOUND: c(500, false, 'The secrets file cannot be read.'),
  E_SECRETS_FILE_PERMISSIONS: c(500, false, 'The secrets file is readable by group or others.'),
  E_VAULT_AUTH_FAILED: c(502, false, 'Vault refused the login (wrong AppRole role_id/secret_id, or a token that is not valid).'),
  E_VAULT_CONFIG: c(500, false, 'The secrets-vault configuration is unusable (unreadable CA bundle, token or secret_id file).'),
  E_VAULT_DENIED: c(403, false, "Vault denied a read (403): the token's policy does not allow the path."),
  E_VAULT_INVALID_RESPONSE: c(502, false, 'Vault answered with a body that is not the documented JSON envelope.'),
  E_VAULT_TIMEOUT: c(504, true, 'Vault did not answer in time.'),
  E_VAULT_UNAVAILABLE: c(503, true, 'Vault is sealed, a standby, rate-limiting, failing or unreachable (retried with backoff first).'),

  // Egress proxy.
  E_EGRESS_UPSTREAM_HEAD: c(502, false, 'An origin reached through the egress proxy answered a forwarded request with a response head that is not valid HTTP/1.x (or over 64 KiB); the client gets 502.'),
} as const satisfies Record<`E_${string}`, ErrorCodeInfo>;

/** A code the sdk registry knows. Plugins with codes of their own use `defineErrorCodes`. */
export type ErrorCode = keyof typeof ERROR_CODES;

const REGISTRY_KEY = Symbol.for('helios-ci/error-codes');
type Registry = Map<string, ErrorCodeInfo>;

/** One registry per process, shared by duplicate copies of the sdk (as the plugin brand is). */
function registry(): Registry {
  const g = globalThis as Record<symbol, unknown>;
  let reg = g[REGISTRY_KEY] as Registry | undefined;
  if (!reg) {
    reg = new Map(Object.entries(ERROR_CODES));
    g[REGISTRY_KEY] = reg;
  }
  return reg;
}

/** What the registry says of a code; unknown codes read as an internal, non-retryable 500. */
export function errorCodeInfo(code: string): ErrorCodeInfo {
  return registry().get(code) ?? ERROR_CODES.E_INTERNAL;
}

/** True when `code` is in the registry (the sdk's or one a plugin registered). */
export function isRegisteredErrorCode(code: string): boolean {
  return registry().has(code);
}

/** Registers codes of a plugin's own; returns them typed, for `createError`. */
export function registerErrorCodes<const R extends Record<`E_${string}`, ErrorCodeInfo>>(codes: R): R {
  const reg = registry();
  for (const [code, info] of Object.entries(codes)) {
    if (!/^E_[A-Z0-9_]+$/.test(code)) throw new TypeError(`error code "${code}" must match E_[A-Z0-9_]+`);
    const known = reg.get(code);
    if (known && (known.http !== info.http || known.retryable !== info.retryable)) {
      throw new TypeError(`error code ${code} is already registered with http ${known.http}, retryable ${known.retryable}; pick another code`);
    }
    reg.set(code, info);
  }
  return codes;
}

/** Every registered code with what it means, sorted (for docs and `helios` listings). */
export function listErrorCodes(): { code: string; info: ErrorCodeInfo }[] {
  return [...registry().entries()].map(([code, info]) => ({ code, info })).sort((a, b) => a.code.localeCompare(b.code));
}
