import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signBody } from '../../src/signature.js';
import { SHARED_DIR } from '../standIn/server.js';

export const FIXTURES_DIR = join(SHARED_DIR, 'fixtures/github');
export const TEST_WEBHOOK_SECRET = 'helios-test-webhook-secret';

/** Every GitHub fixture file name (the real payloads from @octokit/webhooks-examples). */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.json')).sort();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are untyped JSON
export type Payload = Record<string, any>;

export function loadFixture(name: string): Payload {
  return JSON.parse(readFileSync(join(FIXTURES_DIR, name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as Payload;
}

/** The event name of a fixture file (`check_run.requested_action.json` → `check_run`). */
export const eventOf = (name: string) => name.split('.')[0]!;

export interface Delivery {
  headers: Record<string, string>;
  rawBody: Buffer;
}

/** A delivery as GitHub sends it, signed with `secret` over the exact bytes. */
export function signedDelivery(event: string, payload: Payload | Buffer, options: { secret?: string; deliveryId?: string } = {}): Delivery {
  const rawBody = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  return {
    rawBody,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? randomUUID(),
      'x-github-hook-installation-target-type': 'integration',
      'x-hub-signature-256': signBody(options.secret ?? TEST_WEBHOOK_SECRET, rawBody),
    },
  };
}

/** POSTs a delivery to a running Helios. */
export function post(url: string, d: Delivery): Promise<Response> {
  return fetch(url, { method: 'POST', headers: d.headers, body: new Uint8Array(d.rawBody) });
}

/**
 * A fixture rewritten for a stand-in repository: owner/name/ids, installation, app id and SHAs
 * replaced, everything else as GitHub sent it.
 */
export function retarget(payload: Payload, t: { owner: string; name: string; repoId: number; installationId: number; appId: number }): Payload {
  const p = structuredClone(payload);
  const repo = p.repository;
  if (repo) {
    repo.name = t.name;
    repo.full_name = `${t.owner}/${t.name}`;
    repo.id = t.repoId;
    if (repo.owner) (repo.owner.login = t.owner), (repo.owner.name = t.owner);
  }
  if (p.installation) p.installation.id = t.installationId;
  if (p.check_suite?.app) p.check_suite.app.id = t.appId;
  if (p.check_run?.app) p.check_run.app.id = t.appId;
  if (p.check_run?.check_suite?.app) p.check_run.check_suite.app.id = t.appId;
  for (const side of ['head', 'base'] as const) {
    const r = p.pull_request?.[side]?.repo;
    if (r) {
      r.name = t.name;
      r.full_name = `${t.owner}/${t.name}`;
      r.id = t.repoId;
      if (r.owner) r.owner.login = t.owner;
    }
  }
  return p;
}
