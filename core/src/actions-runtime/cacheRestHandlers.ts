/**
 * The v1 cache protocol (`ACTIONS_CACHE_URL` + `_apis/artifactcache/...`), which @actions/cache
 * speaks when ACTIONS_CACHE_SERVICE_V2 is not set or GITHUB_SERVER_URL is not github.com (its
 * "GHES" rule): reserve, PATCH chunks by Content-Range (in parallel, any order), commit with the
 * size, and a lookup answering 204 on a miss.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeliosError } from '@helios-ci/sdk';
import { int, readJson, sendJson, str } from './httpIo.js';
import type { Pending } from './pendingUploads.js';
import type { RuntimeCaches, RuntimeJob } from './runtimeCaches.js';
import type { SignedUrls } from './signedUrls.js';

export const CACHE_API_PREFIX = '/_apis/artifactcache/';

export async function handleCacheRest(req: IncomingMessage, res: ServerResponse, url: URL, job: RuntimeJob, d: { caches: RuntimeCaches; urls: SignedUrls; downloadTtlMs: number }): Promise<void> {
  const rest = url.pathname.slice(CACHE_API_PREFIX.length);
  if (req.method === 'GET' && rest === 'cache') {
    const keys = (url.searchParams.get('keys') ?? '').split(',');
    const version = url.searchParams.get('version') ?? '';
    d.caches.checkRestore(keys, version);
    const match = d.caches.lookup(job, keys, version);
    if (!match) {
      res.writeHead(204).end();
      return;
    }
    sendJson(res, 200, {
      cacheKey: match.entry.key,
      scope: match.entry.scope,
      creationTime: new Date(match.entry.createdAt).toISOString(),
      archiveLocation: d.urls.sign(['c', String(match.entry.id)], d.downloadTtlMs, job.origin),
    });
    return;
  }
  if (req.method === 'GET' && rest === 'caches') {
    const entries = d.caches.listKey(job, url.searchParams.get('key') ?? '');
    sendJson(res, 200, { totalCount: entries.length, artifactCaches: entries.map((e) => ({ cacheKey: e.key, cacheVersion: e.version, scope: e.scope, creationTime: new Date(e.createdAt).toISOString() })) });
    return;
  }
  if (req.method === 'POST' && rest === 'caches') {
    const body = await readJson(req);
    const size = int(body, 'cacheSize');
    const pending = await d.caches.reserve(job, str(body, 'key'), str(body, 'version'), size ?? undefined);
    sendJson(res, 201, { cacheId: pending.number });
    return;
  }
  const idMatch = /^caches\/(\d+)$/.exec(rest);
  if (idMatch && (req.method === 'PATCH' || req.method === 'POST')) {
    const pending = ownUpload(job, d.caches.pendingByNumber(Number(idMatch[1])), idMatch[1]!);
    if (req.method === 'PATCH') {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(req.headers['content-range'] ?? '');
      if (!range) throw new HeliosError('E_USAGE', 'a cache chunk needs Content-Range: bytes <start>-<end>/*');
      try {
        await pending.staged.putRange(Number(range[1]), Number(range[2]), req);
      } catch (err) {
        // Over the limit: the whole upload is dropped, so the commit cannot store a part of it.
        if (err instanceof HeliosError && err.code === 'E_CACHE_TOO_LARGE') await d.caches.drop(pending);
        throw err;
      }
      res.writeHead(204).end();
      return;
    }
    const size = int(await readJson(req), 'size');
    if (size === null) throw new HeliosError('E_USAGE', 'committing a cache needs { "size": <bytes> }');
    if (!pending.staged.rangesCover(size)) {
      await d.caches.drop(pending);
      throw new HeliosError('E_UPLOAD_INCOMPLETE', `cache ${pending.kind === 'cache' ? pending.key : ''}: the chunks received do not cover ${size} bytes; nothing was saved — save again`);
    }
    await d.caches.finalize(job, pending, size);
    res.writeHead(204).end();
    return;
  }
  throw new HeliosError('E_NOT_FOUND', `${req.method} ${url.pathname} is not part of the cache API`);
}

function ownUpload(job: RuntimeJob, pending: Pending | undefined, id: string): Pending {
  if (!pending || pending.kind !== 'cache' || pending.jobId !== job.jobId) throw new HeliosError('E_NOT_FOUND', `cache upload ${id} is not one this job reserved (or it was already committed or dropped); reserve again`);
  return pending;
}
