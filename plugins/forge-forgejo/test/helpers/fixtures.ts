// The shared Forgejo fixtures: payload files as raw bytes (their signatures cover exactly these
// bytes) and the headers Forgejo sent with each, lower-cased as Node's HTTP server presents them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { SHARED_DIR } from '../standIn/swagger.js';

export const FIXTURE_SECRET = 'forgejo-test-secret';
export const FIXTURE_DIR = join(SHARED_DIR, 'fixtures/forgejo');

export type FixtureName = 'push.json' | 'pull_request.json' | 'pull_request_synchronized.json';

interface DeliveriesFile {
  secret: string;
  deliveries: Record<FixtureName, { headers: Record<string, string>; body_bytes: number }>;
}

export const deliveriesFile = (): DeliveriesFile => JSON.parse(readFileSync(join(FIXTURE_DIR, 'deliveries.json'), 'utf8')) as DeliveriesFile;

/** A fixture delivery exactly as Forgejo sent it. */
export function fixtureDelivery(name: FixtureName): { headers: Record<string, string>; rawBody: Buffer } {
  const d = deliveriesFile().deliveries[name];
  const rawBody = readFileSync(join(FIXTURE_DIR, name));
  return { headers: Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k.toLowerCase(), v])), rawBody };
}

export function fixturePayload<T = Record<string, any>>(name: FixtureName): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8')) as T;
}

/**
 * A delivery signed the way Forgejo signs (services/webhook/shared/payloader.go): the X-Forgejo-*,
 * X-Gitea-* and X-Gogs-* families plus X-Hub-Signature-256. `families` picks which are sent.
 */
export function signedDelivery(
  event: string,
  payload: unknown,
  options: { eventType?: string; deliveryId?: string; secret?: string; families?: ('Forgejo' | 'Gitea' | 'Gogs')[] } = {},
): { headers: Record<string, string>; rawBody: Buffer } {
  const rawBody = Buffer.from(JSON.stringify(payload, null, 2));
  const signature = createHmac('sha256', options.secret ?? FIXTURE_SECRET).update(rawBody).digest('hex');
  const deliveryId = options.deliveryId ?? crypto.randomUUID();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}`, 'x-github-event': event, 'x-github-delivery': deliveryId };
  for (const family of options.families ?? ['Forgejo', 'Gitea', 'Gogs']) {
    const f = family.toLowerCase();
    headers[`x-${f}-event`] = event;
    headers[`x-${f}-event-type`] = options.eventType ?? event;
    headers[`x-${f}-delivery`] = deliveryId;
    headers[`x-${f}-signature`] = signature;
  }
  return { headers, rawBody };
}

/** An IssueCommentPayload (modules/structs/hook.go) for a comment on pull request `number`. */
export function commentPayload(number: number, body: string, user: string, repository: unknown, action = 'created', isPull = true): Record<string, unknown> {
  const u = { id: 100 + user.length, login: user, username: user, login_name: '', full_name: '', email: `${user}@example.test` };
  return {
    action,
    issue: {
      id: 900 + number,
      number,
      title: 'Fix typo in README',
      user: u,
      state: 'open',
      pull_request: isPull ? { merged: false, merged_at: null, html_url: `https://forgejo.example.test/acme/widget/pulls/${number}` } : null,
    },
    comment: { id: 5000 + number, body, user: u, html_url: `https://forgejo.example.test/acme/widget/pulls/${number}#issuecomment-1`, created_at: '2025-06-11T12:00:00Z', updated_at: '2025-06-11T12:00:00Z' },
    repository,
    sender: u,
    is_pull: isPull,
  };
}
