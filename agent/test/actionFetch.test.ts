/**
 * FetchAction against the real AgentService over gRPC, with the agent's own client (StorageRpc):
 * served only for the (repo, sha) pairs the job's plan names, nested composite steps included;
 * NOT_FOUND with a clear message when the server has no source or the source lacks the tree.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AgentService, agentClientConstructor } from '@helios-ci/core';
import type { CompositeStep, JobSpec, NodeActionStep, RemoteActionRef } from '@helios-ci/sdk';
import { StorageCallError, StorageRpc, type StorageMethods } from '../src/storage/storageRpc.js';
import { DirActionTreeSource } from './dirActionTreeSource.js';
import { makeSpec, RecordingSink, type Repo } from './helpers.js';

const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');
const NESTED: RemoteActionRef = { repo: 'acme/nested', path: 'sub', ref: 'v1', sha: sha('nested') };
const OTHER_SHA = sha('other');
const MISSING: RemoteActionRef = { repo: 'acme/missing', path: '', ref: 'v1', sha: sha('missing') };

const nodeStep = (id: string, action: RemoteActionRef): NodeActionStep => ({
  id, name: id, if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'node-action', uses: `${action.repo}@${action.ref}`,
  action, using: 'node20', main: 'index.js', with: {}, inputDefaults: {}, requiredInputs: [],
});

const test = suite('FetchAction');
let root: string;
const services: AgentService[] = [];
const clients: grpc.Client[] = [];
let source: DirActionTreeSource;

/** A service (with `actionTrees` or without) and a registered job whose plan nests NESTED in a local composite. */
async function registered(actionTrees: DirActionTreeSource | null): Promise<{ rpc: (token?: string) => StorageRpc; spec: JobSpec }> {
  const service = new AgentService({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 5_000, actionTrees });
  services.push(service);
  const { endpoint } = await service.start();
  const composite: CompositeStep = {
    id: 'wrap', name: 'wrap', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'composite', uses: './.github/actions/wrap',
    with: {}, inputDefaults: {}, outputs: {}, steps: [nodeStep('inner', NESTED)],
  };
  const repo: Repo = { dir: root, url: `file://${root}`, sha: sha('repo'), firstSha: sha('first') };
  const spec = makeSpec(repo, [composite, nodeStep('gone', MISSING)]);
  const handle = service.registerJob(spec, new RecordingSink());
  const Client = agentClientConstructor();
  const client = new Client(endpoint, grpc.credentials.createInsecure());
  clients.push(client);
  return { rpc: (token = handle.token) => new StorageRpc(client as unknown as StorageMethods, token), spec };
}

async function refusal(p: Promise<unknown>): Promise<StorageCallError> {
  try {
    await p;
  } catch (err) {
    assert.instance(err, StorageCallError);
    return err as StorageCallError;
  }
  throw new Error('expected the call to be refused');
}

test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'helios-fetch-action-'));
  const tree = join(root, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  writeFileSync(join(tree, 'sub/action.yml'), 'runs:\n  using: node20\n  main: index.js\n');
  source = new DirActionTreeSource().add(NESTED.repo, NESTED.sha, tree).add(NESTED.repo, OTHER_SHA, tree);
});
test.after(async () => {
  for (const c of clients) c.close();
  for (const s of services) await s.stop();
  rmSync(root, { recursive: true, force: true });
});

test('serves the tar of an action the plan names, nested in a composite', async () => {
  const { rpc } = await registered(source);
  const download = await rpc().fetchAction(NESTED.repo, NESTED.sha);
  assert.ok(download.header.found);
  const chunks: Buffer[] = [];
  for await (const c of download.body) chunks.push(c as Buffer);
  const tarFile = (await source.tarFile(NESTED.repo, NESTED.sha))!;
  assert.ok(Buffer.concat(chunks).equals(readFileSync(tarFile)), 'the bytes of the source tar');
  assert.is(download.header.size, readFileSync(tarFile).length);
});

test('refuses a sha the plan does not name, even one the host has', async () => {
  const { rpc, spec } = await registered(source);
  const err = await refusal(rpc().fetchAction(NESTED.repo, OTHER_SHA));
  assert.is(err.code, grpc.status.PERMISSION_DENIED);
  assert.match(err.message, `job ${spec.jobId}: its plan does not run acme/nested@${OTHER_SHA}`);
  const other = await refusal(rpc().fetchAction('acme/elsewhere', NESTED.sha));
  assert.is(other.code, grpc.status.PERMISSION_DENIED);
});

test('refuses a wrong token', async () => {
  const { rpc } = await registered(source);
  const err = await refusal(rpc('not-a-token').fetchAction(NESTED.repo, NESTED.sha));
  assert.is(err.code, grpc.status.UNAUTHENTICATED);
});

test('NOT_FOUND when the server has no action source, or the source lacks the tree', async () => {
  const none = await registered(null);
  const err = await refusal(none.rpc().fetchAction(NESTED.repo, NESTED.sha));
  assert.is(err.code, grpc.status.NOT_FOUND);
  assert.match(err.message, 'this server has no source of remote action files');
  const lacking = await registered(source);
  const gone = await refusal(lacking.rpc().fetchAction(MISSING.repo, MISSING.sha));
  assert.is(gone.code, grpc.status.NOT_FOUND);
  assert.match(gone.message, `the server does not have the files of acme/missing@${MISSING.sha}`);
});

test.run();
