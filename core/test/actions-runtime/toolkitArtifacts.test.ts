/**
 * upload-artifact@v4 / download-artifact@v4's client (the real @actions/artifact) against the
 * actions runtime service; tokens, run boundaries and cut-off uploads with raw requests.
 */
import { request } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ToolkitHarness, type StepJob } from './toolkitHarness.js';

const test = suite('actions runtime: @actions/artifact and tokens');
let h: ToolkitHarness;

test.before.each(async () => {
  h = await new ToolkitHarness().start();
});
test.after.each(async () => {
  await h.stop();
});

const ARTIFACTS = 'github.actions.results.api.v1.ArtifactService';

async function twirp(job: StepJob | { env: { ACTIONS_RUNTIME_TOKEN: string } } | null, method: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(`/twirp/${method}`, h.service.baseUrl()), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(job ? { authorization: `Bearer ${job.env.ACTIONS_RUNTIME_TOKEN}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('upload a directory, list it and download it in another job of the run; the file comes back', async () => {
  const uploader = h.job();
  const src = h.workspace('src');
  mkdirSync(join(src, 'out/sub'), { recursive: true });
  writeFileSync(join(src, 'out/report.txt'), 'all green\n');
  writeFileSync(join(src, 'out/sub/data.bin'), Buffer.alloc(300_000, 7));
  const [up] = await h.calls(uploader, [{ op: 'upload', args: { name: 'build-output', files: [join(src, 'out/report.txt'), join(src, 'out/sub/data.bin')], root: join(src, 'out') }, o: { cwd: src } }]);
  assert.ok(up!.ok, up!.output);
  const uploaded = up!.result as { id: number; size: number; digest: string };
  assert.ok(uploaded.id > 0 && uploaded.size > 0);
  const stored = h.blobs.store.artifacts.list(uploader.run.id);
  assert.equal(stored.map((a) => [a.name, a.size, a.jobId]), [['build-output', uploaded.size, uploader.jobId]]);

  const downloader = h.job({}, uploader.run);
  const dest = h.workspace('dest');
  mkdirSync(dest, { recursive: true });
  const [list, down] = await h.calls(downloader, [
    { op: 'list', args: {}, o: { cwd: dest } },
    { op: 'download', args: { name: 'build-output', path: join(dest, 'got') }, o: { cwd: dest } },
  ]);
  assert.ok(list!.ok && down!.ok, list!.output);
  assert.equal((list!.result as { artifacts: { name: string; id: number; size: number }[] }).artifacts.map((a) => [a.name, a.id, a.size]), [['build-output', uploaded.id, uploaded.size]]);
  assert.is(readFileSync(join(dest, 'got/report.txt'), 'utf8'), 'all green\n');
  assert.equal(readFileSync(join(dest, 'got/sub/data.bin')), Buffer.alloc(300_000, 7));
  assert.is((down!.result as { digestMismatch: boolean }).digestMismatch, false);
});

test('a name that exists is refused; delete then upload again works (upload-artifact overwrite: true)', async () => {
  const job = h.job();
  const src = h.workspace('src2');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'one');
  const up = { op: 'upload', args: { name: 'dup', files: [join(src, 'a.txt')], root: src }, o: { cwd: src } };
  const [first, second, del, third] = await h.calls(job, [up, up, { op: 'delete', args: { name: 'dup' }, o: { cwd: src } }, up]);
  assert.ok(first!.ok, first!.output);
  assert.not.ok(second!.ok);
  assert.match(second!.error, /an artifact named dup already exists on this workflow run/);
  assert.ok(del!.ok, del!.output);
  assert.ok(third!.ok, third!.output);
  assert.is(h.blobs.store.artifacts.list(job.run.id).length, 1);
  assert.is((await h.storage.blobs('artifact')).length, 1);
});

test('another run cannot reach this run\'s artifacts: its list is its own, naming this run is refused', async () => {
  const a = h.job();
  const src = h.workspace('src3');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'x.txt'), 'x');
  assert.ok((await h.toolkit(a, 'upload', { name: 'secret-stuff', files: [join(src, 'x.txt')], root: src }, { cwd: src })).ok);
  const b = h.job();
  const [list] = await h.calls(b, [{ op: 'list', args: {}, o: { cwd: src } }]);
  assert.equal((list!.result as { artifacts: unknown[] }).artifacts, []);
  const listA = await twirp(b, `${ARTIFACTS}/ListArtifacts`, { workflow_run_backend_id: a.run.id, workflow_job_run_backend_id: b.jobId });
  assert.is(listA.status, 403);
  assert.is(listA.body.code, 'permission_denied');
  assert.match(String(listA.body.msg), new RegExp(`ACTIONS_RUNTIME_TOKEN is for run ${b.run.id}; it cannot reach the artifacts of run ${a.run.id}`));
  const url = await twirp(b, `${ARTIFACTS}/GetSignedArtifactURL`, { workflow_run_backend_id: a.run.id, workflow_job_run_backend_id: a.jobId, name: 'secret-stuff' });
  assert.is(url.status, 403);
});

test('no token, a forged token, and the token of an ended job are 401 with a message that says why', async () => {
  const job = h.job();
  const ids = { workflow_run_backend_id: job.run.id, workflow_job_run_backend_id: job.jobId };
  const none = await twirp(null, `${ARTIFACTS}/ListArtifacts`, ids);
  assert.is(none.status, 401);
  assert.match(String(none.body.msg), /no ACTIONS_RUNTIME_TOKEN was sent/);
  const [h0, p0] = job.env.ACTIONS_RUNTIME_TOKEN.split('.');
  const forged = await twirp({ env: { ACTIONS_RUNTIME_TOKEN: `${h0}.${p0}.AAAA${'A'.repeat(39)}` } }, `${ARTIFACTS}/ListArtifacts`, ids);
  assert.is(forged.status, 401);
  assert.is(forged.body.code, 'unauthenticated');
  assert.match(String(forged.body.msg), /signature does not match/);
  assert.is((await twirp(job, `${ARTIFACTS}/ListArtifacts`, ids)).status, 200);
  h.end(job);
  const ended = await twirp(job, `${ARTIFACTS}/ListArtifacts`, ids);
  assert.is(ended.status, 401);
  assert.match(String(ended.body.msg), new RegExp(`job ${job.jobId} has ended \\(succeeded\\)`));
  // v1 cache REST answers the same way.
  const v1 = await fetch(new URL('/_apis/artifactcache/cache?keys=k&version=v', h.service.baseUrl()), { headers: { authorization: `Bearer ${job.env.ACTIONS_RUNTIME_TOKEN}` } });
  assert.is(v1.status, 401);
  assert.match(String(((await v1.json()) as { message: string }).message), /has ended/);
  // The toolkit itself reports it.
  const [up] = await h.calls(job, [{ op: 'list', args: {}, o: { cwd: h.dir } }]);
  assert.not.ok(up!.ok);
  assert.match(up!.error, /401/);
});

test('a cut-off upload leaves nothing: finalize fails cleanly, nothing is listed or stored', async () => {
  const job = h.job();
  const ids = { workflow_run_backend_id: job.run.id, workflow_job_run_backend_id: job.jobId };
  const created = await twirp(job, `${ARTIFACTS}/CreateArtifact`, { ...ids, name: 'partial', version: 7 });
  assert.is(created.status, 200);
  const signed = new URL(String(created.body.signed_upload_url));
  // A single PUT announcing 100000 bytes that sends 10 and drops the connection.
  await new Promise<void>((resolve) => {
    const req = request(signed, { method: 'PUT', headers: { 'content-length': '100000', 'x-ms-blob-type': 'BlockBlob' } });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(10, 1));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 100);
  });
  // A block that arrived cut off does not count either: the block list naming it is refused.
  signed.searchParams.set('comp', 'blocklist');
  const list = await fetch(signed, { method: 'PUT', body: '<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>AAAA</Latest></BlockList>' });
  assert.is(list.status, 400);
  assert.match(await list.text(), /never uploaded completely/);
  const fin = await twirp(job, `${ARTIFACTS}/FinalizeArtifact`, { ...ids, name: 'partial', size: '100000' });
  assert.is(fin.status, 400);
  assert.match(String(fin.body.msg), /no bytes of artifact partial arrived/);
  assert.equal(h.blobs.store.artifacts.list(job.run.id), []);
  assert.equal(await h.storage.blobs(), []);
  // The upload is over: its URL accepts nothing more.
  signed.searchParams.delete('comp');
  assert.is((await fetch(signed, { method: 'PUT', body: 'late' })).status, 404);
});

test('a tampered or expired blob URL is refused', async () => {
  const job = h.job();
  const created = await twirp(job, `${ARTIFACTS}/CreateArtifact`, { workflow_run_backend_id: job.run.id, workflow_job_run_backend_id: job.jobId, name: 'x', version: 7 });
  const signed = new URL(String(created.body.signed_upload_url));
  signed.searchParams.set('se', String(Number(signed.searchParams.get('se')) + 3600));
  const res = await fetch(signed, { method: 'PUT', body: 'x' });
  assert.is(res.status, 403);
  assert.match(await res.text(), /signature of this blob URL does not match/);
});

test.run();
