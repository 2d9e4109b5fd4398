import { Readable } from 'node:stream';
import type Router from '@koa/router';
import { HeliosError } from '@helios-ci/sdk';
import type { Artifacts } from '../../blobs/artifacts.js';
import { artifactZipPath } from '../../blobs/artifactLinks.js';
import type { ArtifactRecord, Store } from '../../store/index.js';
import { IdParams } from './schemas.js';
import { parseInput } from './validation.js';

export { artifactZipPath };

export function viewArtifact(a: ArtifactRecord): { name: string; size: number; createdAt: string; expiresAt: string; url: string } {
  return { name: a.name, size: a.size, createdAt: new Date(a.createdAt).toISOString(), expiresAt: new Date(a.expiresAt).toISOString(), url: artifactZipPath(a.runId, a.name) };
}

/** RFC 6266: an ASCII fallback and the exact UTF-8 name (artifact names may hold quotes' cousins, unicode, spaces). */
export function contentDisposition(name: string): string {
  const ascii = `${name}.zip`.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(`${name}.zip`).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/**
 * GET /api/runs/:id/artifacts              → 200 { runId, artifacts: [{ name, size, createdAt, expiresAt, url }] }
 * GET /api/runs/:id/artifacts/:name/zip    → 200 application/zip (the zip actions/upload-artifact made, as stored)
 * Both are private reads under server.requireAuthForLogs (they sit under /api/runs).
 */
export function mountArtifactRoutes(router: Router, deps: { store: Store; artifacts: Artifacts | null }): void {
  const runOf = (params: unknown) => {
    const { id } = parseInput(IdParams, params, 'E_PARAMS_INVALID', 'the run id');
    if (!deps.store.runs.get(id)) throw new HeliosError('E_RUN_NOT_FOUND', `run ${id} does not exist; GET /api/runs lists the runs`);
    return id;
  };

  router.get('/api/runs/:id/artifacts', (ctx) => {
    const runId = runOf(ctx.params);
    ctx.body = { runId, artifacts: deps.store.artifacts.list(runId).map(viewArtifact) };
  });

  router.get('/api/runs/:id/artifacts/:name/zip', async (ctx) => {
    const runId = runOf(ctx.params);
    const name = String(ctx.params.name ?? '');
    if (!deps.artifacts) {
      throw new HeliosError('E_UNIMPLEMENTED', 'this server has no storage for artifacts; configure a Storage plugin (@helios-ci/storage-dir on any disk, @helios-ci/storage-zfs on ZFS)');
    }
    const found = await deps.artifacts.open(runId, name);
    if (!found) {
      throw new HeliosError('E_ARTIFACT_NOT_FOUND', `run ${runId} has no artifact named ${JSON.stringify(name)} (or it expired); GET /api/runs/${runId}/artifacts lists them`);
    }
    ctx.status = 200;
    ctx.type = 'application/zip';
    ctx.length = found.artifact.size;
    ctx.set('Content-Disposition', contentDisposition(found.artifact.name));
    ctx.set('Cache-Control', 'private, no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = Readable.from(found.data, { objectMode: false });
  });
}
