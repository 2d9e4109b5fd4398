import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Access, type Viewer } from '../../src/http/ui/auth/access.js';
import type { OAuthProvider, RepoPermission } from '../../src/http/ui/auth/oauthProvider.js';
import { SessionStore } from '../../src/http/ui/auth/sessionStore.js';
import { localPath } from '../../src/http/ui/auth/csrf.js';
import { runGraph, type GraphJob } from '../../src/http/ui/runGraph.js';
import { listRuns, parseRunFilter } from '../../src/http/ui/runFilter.js';
import { createRun, jobPlan, openTempStore, runPlan } from '../helpers/storeFixtures.js';

function provider(perms: Record<string, RepoPermission>, publicRepos: string[], calls: string[]): OAuthProvider {
  return {
    forge: 'github',
    type: 'github',
    authorizeUrl: () => 'x',
    exchange: async () => 't',
    login: async () => 'u',
    permission: async (token, owner, name) => {
      calls.push(`perm ${token} ${owner}/${name}`);
      return perms[`${token} ${owner}/${name}`] ?? 'none';
    },
    isPublic: async (owner, name) => {
      calls.push(`public ${owner}/${name}`);
      return publicRepos.includes(`${owner}/${name}`);
    },
  };
}

test('permissions: forge runs by the forge (cached), others as before; sessions by hash, expiring', async () => {
  const t = openTempStore();
  try {
    let now = 1_000_000;
    const sessions = new SessionStore(t.store.db, () => now);
    const calls: string[] = [];
    const p = provider({ 'tok-w acme/secret': 'write', 'tok-r acme/secret': 'read' }, ['acme/open'], calls);
    const make = (o: { publicRepositoriesReadable?: boolean; requireAuthForLogs?: boolean } = {}) =>
      new Access({ adminToken: 'admin-token-0123456789', sessions, providers: new Map([['github', p]]), publicRepositoriesReadable: o.publicRepositoriesReadable ?? true, requireAuthForLogs: o.requireAuthForLogs ?? false, cacheMs: 60_000, now: () => now });
    const access = make();
    const w = sessions.create({ provider: 'github', login: 'wanda', token: 'tok-w', ttlMs: 1000 });
    const r = sessions.create({ provider: 'github', login: 'rita', token: 'tok-r', ttlMs: 1000 });
    assert.not.ok(t.store.db.prepare('SELECT count(*) FROM ui_sessions WHERE id_hash = ?').pluck().get(w.id), 'the cookie value is not stored');
    const user = (id: string): Viewer => ({ kind: 'user', sessionId: id, session: sessions.get(id)! });
    const secret = { forge: 'github', repo: { owner: 'acme', name: 'secret' } };
    const open = { forge: 'github', repo: { owner: 'acme', name: 'open' } };
    const local = { forge: null, repo: { owner: 'local', name: 'x' } };
    assert.is(await access.permission(user(w.id), secret), 'write');
    assert.is(await access.permission(user(r.id), secret), 'read');
    assert.is(await access.permission({ kind: 'anonymous' }, secret), 'none');
    assert.is(await access.permission({ kind: 'anonymous' }, open), 'read');
    assert.is(await access.permission({ kind: 'admin' }, secret), 'write');
    assert.is(await access.permission({ kind: 'anonymous' }, local), 'read');
    assert.is(await access.permission(user(w.id), local), 'read', 'runs no sign-in covers: read, write only with the admin token');
    const before = calls.length;
    assert.is(await access.permission(user(w.id), secret), 'write');
    assert.is(calls.length, before, 'answered from the cache');
    now += 61_000;
    assert.is(sessions.get(w.id), null, 'expired sessions are gone');
    assert.is(await make({ publicRepositoriesReadable: false }).permission({ kind: 'anonymous' }, open), 'none');
    assert.is(await make({ requireAuthForLogs: true }).permission({ kind: 'anonymous' }, local), 'none');
  } finally {
    t.cleanup();
  }
});

test('sign-in return paths stay on this server', () => {
  assert.is(localPath('/runs/1?x=2'), '/runs/1?x=2');
  for (const bad of ['//evil.test/x', '/\\evil.test', 'https://evil.test', 'javascript:alert(1)', '', undefined, '/a b']) assert.is(localPath(bad), '/', String(bad));
});

test('the needs graph: matrix jobs in one node, columns by longest needs path, names escaped', () => {
  const job = (id: string, key: string, needs: string[], name = key, matrix: Record<string, unknown> | null = null): GraphJob =>
    ({ id, key, name, workflow: 'ci.yml', matrix, needs, runsOn: [], state: 'succeeded', reason: null, attempt: 1, outputs: {}, durationMs: 1200, steps: [], actions: [], annotations: [] }) as GraphJob;
  const svg = runGraph([job('1', 'build', [], '<b>', { os: 'a' }), job('2', 'build', [], 'b2', { os: '<i>' }), job('3', 'test', ['build']), job('4', 'deploy', ['test', 'build'])]).text;
  assert.match(svg, /<g class="node" data-key="build"><rect class="box" x="0"/);
  assert.match(svg, /<g class="node" data-key="test"><rect class="box" x="306"/);
  assert.match(svg, /<g class="node" data-key="deploy"><rect class="box" x="612"/);
  assert.is((svg.match(/class="edge"/g) ?? []).length, 3);
  assert.match(svg, />build \(2\)</);
  assert.match(svg, />&lt;i&gt;</);
  assert.not.match(svg, /<i>|<b>/);
});

test('the needs graph: a need on a matrix of calls is an edge from every call\'s jobs', () => {
  const job = (id: string, key: string, needs: string[]): GraphJob =>
    ({ id, key, name: key, workflow: 'ci.yml', matrix: null, needs, runsOn: [], state: 'succeeded', reason: null, attempt: 1, outputs: {}, durationMs: 1, steps: [], actions: [], annotations: [] }) as GraphJob;
  const svg = runGraph([job('1', 'build (a)/compile', []), job('2', 'build (b)/compile', []), job('3', 'builder', []), job('4', 'report', ['build'])]).text;
  assert.is((svg.match(/class="edge"/g) ?? []).length, 2, 'not from builder');
  assert.match(svg, /<g class="node" data-key="report"><rect class="box" x="306"/);
});

test('run filters: repository, branch, event, status, and pages that skip what the reader may not see', async () => {
  const t = openTempStore();
  try {
    const mk = (owner: string, name: string, ref: string, event: string) => t.store.runs.create({ repo: { owner, name }, sha: 'a', ref, event, trusted: true, plan: runPlan([jobPlan('b')]) }).run;
    const a = mk('acme', 'one', 'refs/heads/main', 'push');
    const b = mk('acme', 'two', 'refs/heads/dev', 'pull_request');
    const c = mk('acme', 'one', 'refs/heads/dev', 'push');
    t.store.runs.complete(a.id, 'success');
    createRun(t.store, ['x']);
    const ids = async (q: Record<string, string>, keep = async () => true) => (await listRuns(t.store, parseRunFilter(q), null, 10, keep)).runs.map((r) => r.id);
    assert.equal(new Set(await ids({ repository: 'acme/one' })), new Set([a.id, c.id]));
    assert.equal(await ids({ branch: 'dev', event: 'pull_request' }), [b.id]);
    assert.equal(await ids({ status: 'success' }), [a.id]);
    assert.ok((await ids({ status: 'running' })).includes(b.id));
    assert.equal(await ids({ repository: 'acme/two' }, async () => false), []);
    const page = await listRuns(t.store, {}, null, 2, async () => true);
    assert.is(page.runs.length, 2);
    const rest = await listRuns(t.store, {}, page.next, 2, async () => true);
    assert.is(rest.runs.length, 2);
    assert.is(new Set([...page.runs, ...rest.runs].map((r) => r.id)).size, 4);
  } finally {
    t.cleanup();
  }
});

test.run();
