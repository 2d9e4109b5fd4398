import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { isHeliosError } from '../errors.js';
import type { HttpRequest } from '../http.js';
import type { Annotation, CheckHandle, CheckJob, Forge, RepoRef } from '../interfaces/forge.js';
import { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';

type WebhookRequest = Pick<HttpRequest, 'headers' | 'rawBody'>;

/** What a forge plugin author supplies so the suite can exercise their forge (or a stand-in of it). */
export interface ForgeConformanceHooks {
  /** A fresh forge instance (against the plugin's HTTP stand-in, typically). */
  create(): Promise<Subject<Forge>>;
  /** A repository and commit that hold at least one workflow file. */
  repo: RepoRef;
  sha: string;
  /** The check the suite opens (its `repo`/`sha` must exist on the forge). */
  checkJob: CheckJob;
  /** A user whose permission the forge can look up. */
  user: string;
  /** A correctly signed delivery of an event the forge turns into a ForgeEvent (e.g. a push). */
  signedEvent(forge: Forge): WebhookRequest | Promise<WebhookRequest>;
  /** A correctly signed delivery of an event Helios ignores (verifyAndParse must return null). */
  ignoredEvent(forge: Forge): WebhookRequest | Promise<WebhookRequest>;
  /** A delivery whose signature is wrong (verifyAndParse must throw E_SIGNATURE_INVALID). */
  badSignature(forge: Forge): WebhookRequest | Promise<WebhookRequest>;
  /**
   * What the forge (or its stand-in) now shows for a check, so the suite checks that writes landed
   * rather than only that they did not throw. `conclusion` may be omitted where the forge shows none;
   * null means the forge shows nothing for the handle (which fails the suite).
   */
  inspectCheck(forge: Forge, handle: CheckHandle): Promise<{ completed: boolean; conclusion?: string; annotations: number } | null>;
}

const PERMISSIONS = ['admin', 'write', 'read', 'none'];

const annotations = (n: number): Annotation[] =>
  Array.from({ length: n }, (_, i) => ({ level: i % 2 ? 'warning' : 'failure', message: `conformance annotation ${i + 1}`, file: 'src/index.ts', line: i + 1 }));

/** Handles are persisted as JSON between calls; every call below uses a JSON round-tripped handle. */
const roundTrip = (h: CheckHandle): CheckHandle => JSON.parse(JSON.stringify(h)) as CheckHandle;

function cases(h: ForgeConformanceHooks): ConformanceCase<Forge>[] {
  return [
    {
      name: 'id and capabilities are sane',
      async run(f) {
        assert.type(f.id, 'string');
        assert.ok(f.id.length > 0, 'empty id');
        const c = f.capabilities;
        for (const key of ['checkRuns', 'annotations', 'liveLog', 'actions'] as const) assert.type(c[key], 'boolean', `capabilities.${key}`);
        assert.ok(Number.isInteger(c.maxLogChars) && c.maxLogChars >= 1000, `capabilities.maxLogChars must be an integer ≥ 1000, got ${c.maxLogChars}`);
        assert.ok(Number.isFinite(c.requestsPerMinute) && c.requestsPerMinute > 0, `capabilities.requestsPerMinute must be > 0, got ${c.requestsPerMinute}`);
      },
    },
    {
      name: 'fetchWorkflows returns WorkflowFile[] of workflow paths',
      async run(f) {
        const files = await f.fetchWorkflows(h.repo, h.sha);
        assert.ok(Array.isArray(files) && files.length > 0, 'expected at least one workflow file');
        for (const file of files) {
          assert.type(file.path, 'string');
          assert.type(file.content, 'string');
          assert.match(file.path, /^\.(github|forgejo)\/workflows\/[^/]+\.ya?ml$/, `not a workflow path: ${file.path}`);
        }
      },
    },
    {
      name: 'fetchFile returns null for a missing file',
      async run(f) {
        assert.is(await f.fetchFile(h.repo, h.sha, 'helios-conformance/does-not-exist.txt'), null);
      },
    },
    {
      name: 'cloneAccess returns a URL',
      async run(f) {
        const access = await f.cloneAccess(h.repo);
        assert.type(access.url, 'string');
        assert.ok(access.url.length > 0);
      },
    },
    {
      name: 'permissionOf returns a Permission',
      async run(f) {
        assert.ok(PERMISSIONS.includes(await f.permissionOf(h.repo, h.user)), 'not one of admin/write/read/none');
      },
    },
    {
      name: 'openCheck → updateCheck → annotate → closeCheck, with JSON round-tripped handles',
      async run(f) {
        const handle = await f.openCheck(h.checkJob);
        assert.is(handle.forge, f.id, 'handle.forge must be the forge instance id');
        assert.type(handle.id, 'string');
        assert.equal(roundTrip(handle), handle, 'the handle must survive JSON (it is persisted in the store)');
        await f.updateCheck(roundTrip(handle), { status: 'in_progress', title: 'Step 1/2: build', summary: '| # | Step |\n|---|---|\n| 1 | build |', text: 'line 1\nline 2' });
        await f.annotate(roundTrip(handle), annotations(3));
        await f.closeCheck(roundTrip(handle), { conclusion: 'failure', title: 'Failed', summary: 'step 2 failed', text: 'line 3' });
        const seen = await h.inspectCheck(f, handle);
        assert.ok(seen, 'the forge shows nothing for the check that was opened, updated and closed');
        assert.ok(seen.completed, 'the check is not completed after closeCheck');
        if (seen.conclusion !== undefined) assert.is(seen.conclusion, 'failure');
        if (f.capabilities.annotations) assert.is(seen.annotations, 3);
      },
    },
    {
      name: 'closeCheck is idempotent',
      async run(f) {
        const handle = await f.openCheck(h.checkJob);
        const result = { conclusion: 'success' as const, title: 'Succeeded', summary: 'all good' };
        await f.closeCheck(roundTrip(handle), result);
        const once = await h.inspectCheck(f, handle);
        await f.closeCheck(roundTrip(handle), result);
        const twice = await h.inspectCheck(f, handle);
        assert.ok(once && twice, 'the forge shows nothing for the closed check');
        assert.ok(twice.completed, 'the check is not completed after a repeated closeCheck');
        if (twice.conclusion !== undefined) assert.is(twice.conclusion, 'success');
        assert.equal(twice, once, 'a repeated close changes nothing the forge shows');
      },
    },
    {
      name: 'accepts text and summary of exactly maxLogChars and 50 annotations in one call',
      async run(f) {
        const handle = await f.openCheck(h.checkJob);
        const max = f.capabilities.maxLogChars;
        await f.updateCheck(handle, { status: 'in_progress', title: 'Step 1/1: big', summary: 's'.repeat(max), text: 't'.repeat(max) });
        const running = await h.inspectCheck(f, handle);
        assert.ok(running, 'the forge shows nothing for the updated check');
        assert.not.ok(running.completed, 'an in_progress update completed the check');
        if (f.capabilities.annotations) await f.annotate(handle, annotations(50));
        await f.closeCheck(handle, { conclusion: 'success', title: 'Succeeded', summary: 'ok' });
        const done = await h.inspectCheck(f, handle);
        assert.ok(done?.completed, 'the check is not completed after closeCheck');
        if (done.conclusion !== undefined) assert.is(done.conclusion, 'success');
        if (f.capabilities.annotations) assert.is(done.annotations, 50, 'all 50 annotations of the one call landed');
      },
    },
    {
      name: 'verifyAndParse: a signed event parses, an ignored one is null, a bad signature is E_SIGNATURE_INVALID',
      async run(f) {
        const event = await f.verifyAndParse(await h.signedEvent(f));
        assert.ok(event, 'a signed supported event returned null');
        assert.is(event!.forge, f.id, 'event.forge must be the forge instance id');
        assert.type(event!.deliveryId, 'string');
        assert.ok(event!.deliveryId.length > 0, 'empty deliveryId (the kernel deduplicates on it)');
        assert.is(await f.verifyAndParse(await h.ignoredEvent(f)), null);
        try {
          await f.verifyAndParse(await h.badSignature(f));
          assert.unreachable('a bad signature was accepted');
        } catch (err) {
          assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
          assert.is(err.code, 'E_SIGNATURE_INVALID');
        }
      },
    },
  ];
}

/** The Forge conformance suite: run it against your forge plugin with the hooks it needs. */
export function forgeConformance(name: string, hooks: ForgeConformanceHooks): Test {
  return conformanceSuite(`Forge conformance: ${name}`, () => hooks.create(), cases(hooks));
}
