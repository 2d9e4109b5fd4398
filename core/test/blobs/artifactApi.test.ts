/**
 * The artifact API through a real kernel (core services, a Storage plugin, the serve HTTP stack):
 * listing, the zip as stored, 404s, server.requireAuthForLogs, and the job page's links.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { definePlugin, StorageToken, Type } from '@helios-ci/sdk';
import yazl from 'yazl';
import { Kernel } from '../../src/kernel/kernel.js';
import { MemoryLogSink } from '../../src/kernel/logger.js';
import { registerCoreServices } from '../../src/services/registerCoreServices.js';
import { BlobsToken, StoreToken } from '../../src/services/coreTokens.js';
import { createHttpApp } from '../../src/http/app.js';
import { createServerHttp } from '../../src/http/api/index.js';
import { contentDisposition } from '../../src/http/api/artifactRoutes.js';
import { createRun } from '../helpers/storeFixtures.js';
import { MemoryStorage } from '../helpers/memoryStorage.js';

const test = suite('artifact API');

/** A zip as actions/upload-artifact (v4, yazl) makes one. */
export function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [path, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), path);
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}

async function serve(requireAuthForLogs: boolean, withStorage = true, storage = new MemoryStorage()) {
  const dir = mkdtempSync(join(tmpdir(), 'helios-artifact-api-'));
  const memoryStorage = definePlugin({
    name: 'memory-storage',
    apiVersion: '1.x',
    kinds: ['storage'],
    configSchema: Type.Object({}),
    register(ctx) {
      ctx.provide(StorageToken, { factory: () => storage });
    },
  });
  const failed = (err: unknown): never => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  };
  const kernel = await Kernel.create({
    configText: `server:\n  requireAuthForLogs: ${requireAuthForLogs}\nplugins:\n  secrets:\n    use: "@helios-ci/secrets-file"\n  local:\n    use: "@helios-ci/runtime-local"\n${withStorage ? '  mem:\n    use: memory-storage\n' : '  storage:\n    use: "@helios-ci/storage-dir"\n    enabled: false\n'}`,
    configDir: dir,
    dataDir: join(dir, 'data'),
    env: { HELIOS_ADMIN_TOKEN: 'admin-token-for-tests-0123456789abcdef' },
    logSink: new MemoryLogSink(),
    pluginObjects: { 'memory-storage': memoryStorage },
    builtins: registerCoreServices({ storePath: join(dir, 'data', 'helios.db') }),
  }).catch(failed);
  await kernel.start().catch(failed);
  const http = createServerHttp(kernel, { HELIOS_ADMIN_TOKEN: 'admin-token-for-tests-0123456789abcdef' });
  const app = createHttpApp({ routes: kernel.routes, logger: kernel.logger, redact: (t) => t, middleware: http.middleware });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    kernel,
    storage,
    url,
    store: kernel.resolve(StoreToken),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      http.close();
      await kernel.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('list and zip download: the stored zip byte for byte, with its name; clear 404s', async () => {
  const s = await serve(false);
  try {
    const { runId, jobIds } = createRun(s.store, ['build']);
    const zip = await zipOf({ 'dist/app.js': 'console.log(1)', 'README.md': '# hi' });
    const artifacts = s.kernel.resolve(BlobsToken).artifacts;
    async function* bytes() {
      yield zip.subarray(0, 10);
      yield zip.subarray(10);
    }
    await artifacts.upload({ runId, jobId: jobIds[0]!, name: 'dist linux ü', retentionDays: 0, overwrite: false, group: 'local/acme/widget', data: bytes() });

    const list = await fetch(`${s.url}/api/runs/${runId}/artifacts`);
    assert.is(list.status, 200);
    const body = (await list.json()) as { artifacts: { name: string; size: number; createdAt: string; expiresAt: string; url: string }[] };
    assert.is(body.artifacts.length, 1);
    const a = body.artifacts[0]!;
    assert.is(a.name, 'dist linux ü');
    assert.is(a.size, zip.length);
    assert.is(Date.parse(a.expiresAt) - Date.parse(a.createdAt), 90 * 86_400_000);
    assert.is(a.url, `/api/runs/${runId}/artifacts/dist%20linux%20%C3%BC/zip`);

    const download = await fetch(`${s.url}${a.url}`);
    assert.is(download.status, 200);
    assert.is(download.headers.get('content-type'), 'application/zip');
    assert.is(download.headers.get('content-disposition'), `attachment; filename="dist linux _.zip"; filename*=UTF-8''dist%20linux%20%C3%BC.zip`);
    assert.ok(Buffer.from(await download.arrayBuffer()).equals(zip));

    const missing = await fetch(`${s.url}/api/runs/${runId}/artifacts/nope/zip`);
    assert.is(missing.status, 404);
    assert.match(((await missing.json()) as { error: { code: string; message: string } }).error.message, /has no artifact named "nope"/);
    const noRun = await fetch(`${s.url}/api/runs/no-such-run/artifacts`);
    assert.is(noRun.status, 404);
    assert.is(((await noRun.json()) as { error: { code: string } }).error.code, 'E_RUN_NOT_FOUND');

    // The job page links to it.
    const page = await (await fetch(`${s.url}/jobs/${jobIds[0]}`)).text();
    assert.ok(page.includes(`href="${a.url}"`));
  } finally {
    await s.close();
  }
});

test('server.requireAuthForLogs: listing and download need the admin token', async () => {
  const s = await serve(true);
  try {
    const { runId, jobIds } = createRun(s.store, ['build']);
    async function* bytes() {
      yield Buffer.from('PK');
    }
    await s.kernel.resolve(BlobsToken).artifacts.upload({ runId, jobId: jobIds[0]!, name: 'x', retentionDays: 0, overwrite: false, group: 'g', data: bytes() });
    for (const path of [`/api/runs/${runId}/artifacts`, `/api/runs/${runId}/artifacts/x/zip`]) {
      assert.is((await fetch(`${s.url}${path}`)).status, 401, path);
      const ok = await fetch(`${s.url}${path}`, { headers: { authorization: 'Bearer admin-token-for-tests-0123456789abcdef' } });
      assert.is(ok.status, 200, path);
      await ok.arrayBuffer();
    }
  } finally {
    await s.close();
  }
});

test('without a Storage plugin (the embedded default disabled) the listing is empty and a download says how to get storage', async () => {
  const s = await serve(false, false);
  try {
    const { runId } = createRun(s.store, ['build']);
    assert.equal(((await (await fetch(`${s.url}/api/runs/${runId}/artifacts`)).json()) as { artifacts: unknown[] }).artifacts, []);
    const res = await fetch(`${s.url}/api/runs/${runId}/artifacts/x/zip`);
    assert.is(res.status, 501);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /configure a Storage plugin/);
  } finally {
    await s.close();
  }
});

test('kernel start reconciles the Storage: a crash\'s orphan blob and a dead job\'s upload go before any job runs (warm heads: the warm-paths reconciler)', async () => {
  const storage = new MemoryStorage();
  storage.leave({ id: 'cache/orphan', kind: 'cache', jobId: null });
  storage.leave({ id: 'uploads/dead', kind: 'upload', jobId: 'job-from-before-the-crash' });
  const s = await serve(false, true, storage);
  try {
    assert.equal((await storage.list()).map((r) => r.id), []);
  } finally {
    await s.close();
  }
});

test('Content-Disposition keeps header-breaking names harmless', () => {
  const h = contentDisposition('a";\r\nSet-Cookie: x=1 %');
  assert.not.match(h, /[\r\n]/);
  assert.is(h.split('"').length, 3, 'one quoted filename, no stray quote');
});

test.run();
