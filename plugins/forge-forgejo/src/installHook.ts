import { HeliosError, type InstalledHook } from '@helios-ci/sdk';
import { ForgejoClient, seg } from './client.js';

/** What Helios needs delivered: pushes, pull requests (every sub-event incl. sync) and comments. */
export const HOOK_EVENTS = ['push', 'pull_request', 'issue_comment'];

export interface InstallHookOptions {
  baseUrl: string;
  token: string;
  /** `owner/name`. */
  repo: string;
  /** Where Forgejo delivers: `<Helios public URL>/hooks/<instance>`. */
  hookUrl: string;
  secret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Hook {
  id: number;
  config?: Record<string, string>;
}

const REPO = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

/**
 * Creates the repository webhook Helios needs, or brings an existing one with the same URL up to
 * date (so running the command twice does not deliver everything twice). Forgejo gotchas
 * (routers/api/v1/utils/hook.go): `active` defaults to false, so it is sent as true; empty `events`
 * would mean push only; `"pull_request"` subscribes to every pull request sub-event, which is
 * also how comments on pull requests (`pull_request_comment`) arrive.
 */
export async function installHook(o: InstallHookOptions): Promise<InstalledHook> {
  const m = REPO.exec(o.repo);
  if (!m) throw new HeliosError('E_USAGE', `--repo must be owner/name, got ${JSON.stringify(o.repo)}`);
  if (!/^https?:\/\//.test(o.hookUrl)) throw new HeliosError('E_USAGE', `the hook URL must start with http:// or https://, got ${JSON.stringify(o.hookUrl)}`);
  const client = new ForgejoClient({ baseUrl: o.baseUrl, token: o.token, timeoutMs: o.timeoutMs ?? 20_000, ...(o.fetch ? { fetch: o.fetch } : {}) });
  const path = `/repos/${seg(m[1]!)}/${seg(m[2]!)}/hooks`;
  const config = { url: o.hookUrl, content_type: 'json', secret: o.secret };
  const existing = (await client.request<Hook[]>('GET', path, { query: { limit: '50' } })).body ?? [];
  const same = existing.find((h) => h.config?.url === o.hookUrl);
  if (same) {
    const res = await client.request<Hook>('PATCH', `${path}/${same.id}`, { body: { config, events: HOOK_EVENTS, active: true } });
    return { id: res.body.id, url: o.hookUrl, events: HOOK_EVENTS, created: false };
  }
  const create = (type: string) => client.request<Hook>('POST', path, { body: { type, config, events: HOOK_EVENTS, active: true }, accept: [422] });
  let res = await create('forgejo');
  // Gitea has no "forgejo" hook type ("Invalid hook type", 422); its "gitea" type sends the same
  // deliveries (X-Gitea-* headers), which this plugin reads as well.
  if (res.status === 422 && /hook type/i.test(JSON.stringify(res.body))) res = await create('gitea');
  if (res.status === 422) {
    throw new HeliosError('E_FORGE_REJECTED', `Forgejo refused the webhook for ${o.repo}: ${JSON.stringify(res.body)}`, { retryable: false, upstreamStatus: 422 });
  }
  return { id: res.body.id, url: o.hookUrl, events: HOOK_EVENTS, created: true };
}
