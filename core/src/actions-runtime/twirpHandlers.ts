/**
 * The Twirp methods (JSON, proto field names) of github.actions.results.api.v1.CacheService and
 * .ArtifactService as @actions/cache (v2) and @actions/artifact call them. Answers use the proto
 * field names; int64 values are JSON strings, as protobuf's JSON mapping has them.
 */
import { HeliosError } from '@helios-ci/sdk';
import { int, str, wrapped } from './httpIo.js';
import { artifactIdOf, type RuntimeArtifacts } from './runtimeArtifacts.js';
import type { RuntimeCaches, RuntimeJob } from './runtimeCaches.js';
import type { SignedUrls } from './signedUrls.js';

export const CACHE_SERVICE = 'github.actions.results.api.v1.CacheService';
export const ARTIFACT_SERVICE = 'github.actions.results.api.v1.ArtifactService';

type Body = Record<string, unknown>;
type Handler = (job: RuntimeJob, body: Body) => Promise<Body>;

export interface TwirpDeps {
  caches: RuntimeCaches;
  artifacts: RuntimeArtifacts;
  urls: SignedUrls;
  uploadTtlMs: number;
  downloadTtlMs: number;
}

export function twirpMethods(d: TwirpDeps): Map<string, Handler> {
  const m = new Map<string, Handler>();
  m.set(`${CACHE_SERVICE}/GetCacheEntryDownloadURL`, async (job, b) => {
    const restoreKeys = Array.isArray(b.restore_keys) ? b.restore_keys.filter((k): k is string => typeof k === 'string') : [];
    const keys = [str(b, 'key'), ...restoreKeys.filter((k) => k !== '')];
    d.caches.checkRestore(keys, str(b, 'version'));
    const match = d.caches.lookup(job, keys, str(b, 'version'));
    if (!match) return { ok: false };
    return { ok: true, signed_download_url: d.urls.sign(['c', String(match.entry.id)], d.downloadTtlMs, job.origin), matched_key: match.entry.key };
  });
  m.set(`${CACHE_SERVICE}/CreateCacheEntry`, async (job, b) => {
    try {
      const pending = await d.caches.reserve(job, str(b, 'key'), str(b, 'version'));
      return { ok: true, signed_upload_url: d.urls.sign(['u', pending.id], d.uploadTtlMs, job.origin) };
    } catch (err) {
      // The toolkit reads ok: false (+ message) as "another job may be creating this cache".
      if (err instanceof HeliosError && err.code === 'E_CONFLICT') return { ok: false, message: err.message };
      throw err;
    }
  });
  m.set(`${CACHE_SERVICE}/FinalizeCacheEntryUpload`, async (job, b) => {
    const key = str(b, 'key');
    const version = str(b, 'version');
    const scope = d.caches.scopes(job).write;
    const pending = d.caches.pendingOf(job, key, version, scope);
    if (!pending) throw new HeliosError('E_NOT_FOUND', `no upload of cache key ${key} was started by this job (CreateCacheEntry first)`);
    try {
      const entry = await d.caches.finalize(job, pending, int(b, 'size_bytes'));
      return { ok: true, entry_id: String(entry.id) };
    } catch (err) {
      if (err instanceof HeliosError && (err.code === 'E_CONFLICT' || err.code === 'E_CACHE_TOO_LARGE' || err.code === 'E_UPLOAD_INCOMPLETE')) return { ok: false, entry_id: '0', message: err.message };
      throw err;
    }
  });

  const ids = (b: Body) => ({ runId: str(b, 'workflow_run_backend_id'), jobId: str(b, 'workflow_job_run_backend_id') });
  m.set(`${ARTIFACT_SERVICE}/CreateArtifact`, async (job, b) => {
    const expires = wrapped(b, 'expires_at');
    const expiresAt = typeof expires === 'string' && !Number.isNaN(Date.parse(expires)) ? Date.parse(expires) : null;
    const pending = await d.artifacts.create(job, { ...ids(b), name: str(b, 'name'), expiresAt });
    return { ok: true, signed_upload_url: d.urls.sign(['u', pending.id], d.uploadTtlMs, job.origin) };
  });
  m.set(`${ARTIFACT_SERVICE}/FinalizeArtifact`, async (job, b) => {
    const size = int(b, 'size');
    if (size === null) throw new HeliosError('E_USAGE', 'FinalizeArtifact needs size (int64)');
    const hash = wrapped(b, 'hash');
    const a = await d.artifacts.finalize(job, { ...ids(b), name: str(b, 'name'), size, hash: typeof hash === 'string' && hash ? hash : null });
    return { ok: true, artifact_id: String(artifactIdOf(a)) };
  });
  m.set(`${ARTIFACT_SERVICE}/ListArtifacts`, async (job, b) => {
    const name = wrapped(b, 'name_filter');
    const id = wrapped(b, 'id_filter');
    const idNum = typeof id === 'string' || typeof id === 'number' ? Number(id) : null;
    const list = d.artifacts.list(job, { runId: ids(b).runId, name: typeof name === 'string' ? name : null, id: idNum !== null && Number.isSafeInteger(idNum) ? idNum : null });
    return {
      artifacts: list.map((a) => ({
        workflow_run_backend_id: a.runId,
        workflow_job_run_backend_id: a.jobId,
        database_id: String(artifactIdOf(a)),
        name: a.name,
        size: String(a.size),
        created_at: new Date(a.createdAt).toISOString(),
      })),
    };
  });
  m.set(`${ARTIFACT_SERVICE}/GetSignedArtifactURL`, async (job, b) => {
    const a = d.artifacts.get(job, ids(b).runId, str(b, 'name'));
    return { signed_url: d.urls.sign(['a', a.runId, a.name], d.downloadTtlMs, job.origin) };
  });
  m.set(`${ARTIFACT_SERVICE}/DeleteArtifact`, async (job, b) => {
    const a = await d.artifacts.remove(job, ids(b).runId, str(b, 'name'));
    return { ok: true, artifact_id: String(artifactIdOf(a)) };
  });
  return m;
}
