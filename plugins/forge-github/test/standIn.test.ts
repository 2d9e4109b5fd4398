import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAppJwt, parsePrivateKey } from '../src/appJwt.js';
import { createWorld, INSTALLATION, type World } from './helpers/world.js';

// The stand-in must reject what GitHub rejects, or the plugin's tests prove nothing.

async function withWorld(fn: (w: World, token: string, api: (method: string, path: string, body?: unknown, auth?: string) => Promise<{ status: number; body: any }>) => Promise<void>) {
  const w = await createWorld();
  try {
    const key = parsePrivateKey(w.standIn.privateKeyPem, 'x');
    const jwt = createAppJwt(w.standIn.appId, key).jwt;
    const api = async (method: string, path: string, body?: unknown, auth?: string) => {
      const res = await fetch(`${w.standIn.apiUrl}${path}`, { method, headers: { authorization: auth ?? `token ${token}`, accept: 'application/vnd.github+json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      return { status: res.status, body: await res.json().catch(() => null) };
    };
    const created = await api('POST', `/app/installations/${INSTALLATION}/access_tokens`, {}, `Bearer ${jwt}`);
    assert.is(created.status, 201);
    const token = created.body.token as string;
    await fn(w, token, api);
  } finally {
    await w.cleanup();
  }
}

const runBody = (w: World, extra: Record<string, unknown> = {}) => ({ name: 'ci', head_sha: w.sha, ...extra });
const output = (extra: Record<string, unknown> = {}) => ({ title: 't', summary: 's', ...extra });
const ann = (i: number) => ({ path: 'a', start_line: i + 1, end_line: i + 1, annotation_level: 'notice', message: 'm' });

test('check-run bodies: what GitHub refuses gets 422', () =>
  withWorld(async (w, _t, api) => {
    const bad: [string, Record<string, unknown>][] = [
      ['no name', { head_sha: w.sha }],
      ['bad status', runBody(w, { status: 'running' })],
      ['bad conclusion', runBody(w, { conclusion: 'passed' })],
      ['stale conclusion', runBody(w, { conclusion: 'stale' })],
      ['completed without conclusion', runBody(w, { status: 'completed' })],
      ['summary too long', runBody(w, { output: output({ summary: 's'.repeat(65_536) }) })],
      ['text too long', runBody(w, { output: output({ text: 't'.repeat(65_536) }) })],
      ['output without title', runBody(w, { output: { summary: 's' } })],
      ['51 annotations', runBody(w, { output: output({ annotations: Array.from({ length: 51 }, (_, i) => ann(i)) }) })],
      ['annotation without end_line', runBody(w, { output: output({ annotations: [{ path: 'a', start_line: 1, annotation_level: 'notice', message: 'm' }] }) })],
      ['annotation bad level', runBody(w, { output: output({ annotations: [{ ...ann(0), annotation_level: 'error' }] }) })],
      ['columns across lines', runBody(w, { output: output({ annotations: [{ ...ann(0), end_line: 3, start_column: 1, end_column: 2 }] }) })],
      ['4 actions', runBody(w, { actions: Array.from({ length: 4 }, (_, i) => ({ label: `a${i}`, description: 'd', identifier: `i${i}` })) })],
      ['label of 21', runBody(w, { actions: [{ label: 'x'.repeat(21), description: 'd', identifier: 'i' }] })],
      ['description of 41', runBody(w, { actions: [{ label: 'l', description: 'x'.repeat(41), identifier: 'i' }] })],
      ['identifier of 21', runBody(w, { actions: [{ label: 'l', description: 'd', identifier: 'x'.repeat(21) }] })],
      ['action without description', runBody(w, { actions: [{ label: 'l', identifier: 'i' }] })],
      ['bad date', runBody(w, { started_at: 'yesterday' })],
      ['unknown sha', runBody(w, { head_sha: 'f'.repeat(40) })],
    ];
    for (const [what, body] of bad) assert.is((await api('POST', '/repos/acme/widget/check-runs', body)).status, 422, what);
    const ok = await api('POST', '/repos/acme/widget/check-runs', runBody(w, { output: output({ summary: 's'.repeat(65_535), annotations: Array.from({ length: 50 }, (_, i) => ann(i)) }), actions: [{ label: 'x'.repeat(20), description: 'y'.repeat(40), identifier: 'z'.repeat(20) }] }));
    assert.is(ok.status, 201, 'exactly at every limit is fine');
    const id = ok.body.id;
    assert.is((await api('PATCH', `/repos/acme/widget/check-runs/${id}`, { status: 'completed' })).status, 422, 'PATCH completed without conclusion');
    assert.is((await api('PATCH', `/repos/acme/widget/check-runs/${id}`, { output: { title: 't' } })).status, 422, 'PATCH output without summary');
    assert.is((await api('PATCH', `/repos/acme/widget/check-runs/abc`, { status: 'queued' })).status, 422, 'non-integer id');
    assert.is((await api('PATCH', `/repos/acme/widget/check-runs/${id}`, { conclusion: 'success' })).status, 200);
    assert.is((await api('DELETE', `/repos/acme/widget/check-runs/${id}`)).status, 404, 'no such route on GitHub');
    assert.is(w.standIn.rejections.length, bad.length - 1 + 3, 'every 422 but the unknown sha is recorded as a validation failure');
  }));

test('auth: JWT only on /app, tokens elsewhere; expired tokens and bad JWTs get 401', () =>
  withWorld(async (w, token, api) => {
    assert.is((await api('GET', '/repos/acme/widget/installation', undefined, `token ${token}`)).status, 401, 'an installation token is no App JWT');
    assert.is((await api('POST', `/app/installations/${INSTALLATION}/access_tokens`, {}, `token ${token}`)).status, 401);
    const key = parsePrivateKey(w.standIn.privateKeyPem, 'x');
    const stale = createAppJwt(w.standIn.appId, key, Date.now() - 11 * 60_000).jwt;
    assert.is((await api('POST', `/app/installations/${INSTALLATION}/access_tokens`, {}, `Bearer ${stale}`)).status, 401);
    const jwt = createAppJwt(w.standIn.appId, key).jwt;
    assert.is((await api('GET', '/repos/acme/widget/check-runs/1', undefined, `Bearer ${jwt}`)).status, 401, 'a JWT is no installation token');
    assert.is((await api('POST', `/app/installations/${INSTALLATION}/access_tokens`, { repositories: ['nope'] }, `Bearer ${jwt}`)).status, 422);
    assert.is((await api('POST', `/app/installations/${INSTALLATION}/access_tokens`, { permissions: { contents: 'write' } }, `Bearer ${jwt}`)).status, 422);
    assert.is((await api('POST', '/repos/acme/widget/check-runs', runBody(w))).status, 201);
    w.standIn.expireTokens();
    assert.is((await api('POST', '/repos/acme/widget/check-runs', runBody(w))).status, 401);
    assert.is((await api('GET', '/repos/acme/widget/contents/README.md')).status, 401);
  }));

test.run();
