import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeliosError } from '../errors.js';
import type { HttpRequest } from '../http.js';
import type {
  Annotation,
  CheckHandle,
  CheckJob,
  CheckResult,
  CheckUpdate,
  Forge,
  ForgeCapabilities,
  ForgeEvent,
  Permission,
  RepoRef,
  WorkflowFile,
} from '../interfaces/forge.js';

export type FakeForgeMethod = 'openCheck' | 'updateCheck' | 'annotate' | 'closeCheck' | 'fetchWorkflows' | 'fetchFile' | 'cloneAccess' | 'permissionOf';

/** How injected failures behave: `error` throws a 500-like E_FORGE_UNAVAILABLE; `hang` never settles. */
export type FakeFailureMode = 'error' | 'hang';

export interface FakeForgeOptions {
  /** Forge instance id (default `fake`). */
  id?: string;
  capabilities?: Partial<ForgeCapabilities>;
  /** Files served for every repository and commit: path → content (workflows under .github/workflows). */
  files?: Record<string, string>;
  /** Files for one commit, keyed `owner/name@sha`; they replace `files` for that commit. */
  filesAt?: Record<string, Record<string, string>>;
  /** permissionOf(repo, user) answers; unknown users are `none`. */
  permissions?: Record<string, Permission>;
  /** HMAC-SHA256 key for verifyAndParse (default `fake-secret`). */
  webhookSecret?: string;
  /** Time source for `failFor` and call timestamps (default Date.now). */
  now?: () => number;
}

/** One recorded call. `outcome` says what the fake did with it. */
export interface FakeForgeCall {
  n: number;
  method: FakeForgeMethod;
  /** Deep copies of the arguments as received. */
  args: unknown[];
  at: number;
  outcome: 'ok' | 'failed' | 'hung' | 'rejected';
  error?: string;
}

/** What the fake forge shows for one check, as a user would see it in the forge UI. */
export interface FakeCheck {
  handle: CheckHandle;
  job: CheckJob;
  status: 'queued' | 'in_progress' | 'completed';
  /** Every applied update, in order. */
  updates: CheckUpdate[];
  /** Every applied annotation, in order. */
  annotations: Annotation[];
  result: CheckResult | null;
}

export interface FakeForge extends Forge {
  /** Every call in order, including failed and rejected ones. */
  readonly calls: FakeForgeCall[];
  /** Check id → state. */
  readonly checks: Map<string, FakeCheck>;
  /** The next `count` calls (of `methods`, default the four check writes) fail. */
  failNext(count: number, mode?: FakeFailureMode, methods?: FakeForgeMethod[]): void;
  /** Calls fail for `ms` from now (by the `now` option's clock). */
  failFor(ms: number, mode?: FakeFailureMode, methods?: FakeForgeMethod[]): void;
  /** Ends injected failures. */
  heal(): void;
  /** Calls of one method that were applied (outcome ok). */
  applied(method: FakeForgeMethod): FakeForgeCall[];
  /** A webhook request this forge's verifyAndParse accepts; `event` `ignored-thing` is one it ignores. */
  signedRequest(event: string, payload: Record<string, unknown>, deliveryId?: string): Pick<HttpRequest, 'headers' | 'rawBody'>;
}

const WRITES: FakeForgeMethod[] = ['openCheck', 'updateCheck', 'annotate', 'closeCheck'];
const MAX_ANNOTATIONS_PER_CALL = 50;

export const FAKE_FORGE_DEFAULT_CAPABILITIES: ForgeCapabilities = {
  checkRuns: true,
  annotations: true,
  liveLog: true,
  actions: true,
  maxLogChars: 65_535,
  requestsPerMinute: 80,
};

const rejected = (status: number, message: string) => new HeliosError('E_FORGE_REJECTED', message, { upstreamStatus: status });

/**
 * A recording in-memory Forge for tests. It validates what a real forge refuses (text over
 * maxLogChars, more than 50 annotations per call, writes after close, unknown handles) with
 * E_FORGE_REJECTED, and can be told to fail (500-like E_FORGE_UNAVAILABLE) or hang. A failed or
 * hung call is never applied, like a request that never reached the forge.
 */
export function createFakeForge(options: FakeForgeOptions = {}): FakeForge {
  const id = options.id ?? 'fake';
  const capabilities: ForgeCapabilities = { ...FAKE_FORGE_DEFAULT_CAPABILITIES, ...options.capabilities };
  const now = options.now ?? Date.now;
  const secret = options.webhookSecret ?? 'fake-secret';
  const calls: FakeForgeCall[] = [];
  const checks = new Map<string, FakeCheck>();
  let nextCheck = 1;
  let failCount = 0;
  let failUntil = -Infinity;
  let failMode: FakeFailureMode = 'error';
  let failMethods: FakeForgeMethod[] = WRITES;

  /** Records the call, applies injected failures, then runs `apply` (which may reject). */
  async function call<T>(method: FakeForgeMethod, args: unknown[], apply: () => T): Promise<T> {
    const record: FakeForgeCall = { n: calls.length + 1, method, args: structuredClone(args), at: now(), outcome: 'ok' };
    calls.push(record);
    const failing = failMethods.includes(method) && (failCount > 0 || now() < failUntil);
    if (failing) {
      if (failCount > 0) failCount--;
      if (failMode === 'hang') {
        record.outcome = 'hung';
        return new Promise<T>(() => {});
      }
      record.outcome = 'failed';
      record.error = '500 Internal Server Error';
      throw new HeliosError('E_FORGE_UNAVAILABLE', `fake forge ${id}: ${method} failed with 500 (injected failure); retry later`, { upstreamStatus: 500 });
    }
    try {
      return apply();
    } catch (err) {
      record.outcome = 'rejected';
      record.error = (err as Error).message;
      throw err;
    }
  }

  function checkOf(handle: CheckHandle): FakeCheck {
    const check = handle && handle.forge === id ? checks.get(handle.id) : undefined;
    if (!check) throw rejected(404, `fake forge ${id}: unknown check handle ${JSON.stringify(handle)}`);
    return check;
  }

  function validateOutput(out: { title?: string; summary: string; text?: string }): void {
    if (typeof out.summary !== 'string') throw rejected(422, 'summary must be a string');
    if (out.summary.length > capabilities.maxLogChars) throw rejected(422, `summary is ${out.summary.length} characters; the maximum is ${capabilities.maxLogChars}`);
    if (out.text !== undefined && out.text.length > capabilities.maxLogChars) throw rejected(422, `text is ${out.text.length} characters; the maximum is ${capabilities.maxLogChars}`);
  }

  function filesFor(repo: RepoRef, sha: string): Record<string, string> {
    return options.filesAt?.[`${repo.owner}/${repo.name}@${sha}`] ?? options.files ?? {};
  }

  function sign(body: Buffer): string {
    return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
  }

  const forge: FakeForge = {
    id,
    capabilities,
    calls,
    checks,

    async verifyAndParse(req) {
      const given = Buffer.from(String(req.headers['x-fake-signature'] ?? ''));
      const expected = Buffer.from(sign(req.rawBody));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new HeliosError('E_SIGNATURE_INVALID', `fake forge ${id}: webhook signature does not match; check the webhook secret`);
      }
      const event = req.headers['x-fake-event'];
      const deliveryId = req.headers['x-fake-delivery'] ?? '';
      const body = JSON.parse(req.rawBody.toString('utf8')) as Record<string, unknown>;
      if (event === 'push') {
        return { ...(body as object), kind: 'push', deliveryId, forge: id } as ForgeEvent;
      }
      if (event === 'ping') return { kind: 'ping', deliveryId, forge: id };
      return null;
    },

    async fetchWorkflows(repo, sha) {
      return call('fetchWorkflows', [repo, sha], () =>
        Object.entries(filesFor(repo, sha))
          .filter(([path]) => /^\.(github|forgejo)\/workflows\/[^/]+\.ya?ml$/.test(path))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([path, content]): WorkflowFile => ({ path, content })),
      );
    },

    async fetchFile(repo, sha, path) {
      return call('fetchFile', [repo, sha, path], () => filesFor(repo, sha)[path] ?? null);
    },

    async cloneAccess(repo) {
      return call('cloneAccess', [repo], () => ({ url: `https://fake.invalid/${repo.owner}/${repo.name}.git`, token: 'fake-clone-token', expiresAt: new Date(now() + 3_600_000).toISOString() }));
    },

    async openCheck(job) {
      return call('openCheck', [job], () => {
        if (!job.jobId || !job.sha) throw rejected(422, 'openCheck needs jobId and sha');
        const handle: CheckHandle = { forge: id, id: String(nextCheck++), data: { jobId: job.jobId } };
        checks.set(handle.id, { handle, job: structuredClone(job), status: 'queued', updates: [], annotations: [], result: null });
        return structuredClone(handle);
      });
    },

    async updateCheck(handle, update) {
      return call('updateCheck', [handle, update], () => {
        const check = checkOf(handle);
        if (check.status === 'completed') throw rejected(422, `check ${handle.id} is completed; updates after close are refused`);
        validateOutput(update);
        check.status = update.status;
        check.updates.push(structuredClone(update));
      });
    },

    async annotate(handle, annotations) {
      return call('annotate', [handle, annotations], () => {
        const check = checkOf(handle);
        if (check.status === 'completed') throw rejected(422, `check ${handle.id} is completed; annotations after close are refused`);
        if (annotations.length > MAX_ANNOTATIONS_PER_CALL) throw rejected(422, `${annotations.length} annotations in one call; the maximum is ${MAX_ANNOTATIONS_PER_CALL}`);
        check.annotations.push(...structuredClone(annotations));
      });
    },

    async closeCheck(handle, result) {
      return call('closeCheck', [handle, result], () => {
        const check = checkOf(handle);
        if (check.status === 'completed') return; // idempotent: a repeated close changes nothing
        validateOutput(result);
        check.status = 'completed';
        check.result = structuredClone(result);
      });
    },

    async permissionOf(repo, user) {
      return call('permissionOf', [repo, user], () => options.permissions?.[user] ?? 'none');
    },

    failNext(count, mode = 'error', methods = WRITES) {
      failCount = count;
      failMode = mode;
      failMethods = methods;
    },
    failFor(ms, mode = 'error', methods = WRITES) {
      failUntil = now() + ms;
      failMode = mode;
      failMethods = methods;
    },
    heal() {
      failCount = 0;
      failUntil = -Infinity;
    },
    applied(method) {
      return calls.filter((c) => c.method === method && c.outcome === 'ok');
    },
    signedRequest(event, payload, deliveryId = `delivery-${calls.length}-${Math.random().toString(36).slice(2)}`) {
      const rawBody = Buffer.from(JSON.stringify(payload));
      return { headers: { 'x-fake-event': event, 'x-fake-delivery': deliveryId, 'x-fake-signature': sign(rawBody), 'content-type': 'application/json' }, rawBody };
    },
  };
  return forge;
}
