/**
 * The clone credential's whole life on the agent: taken out of the job spec at "Set up job" (the
 * spec keeps no copy, so nothing later can hand it to a child process), used only for the private
 * mirror's fetches, then unreachable. A credential written into the clone URL (`https://u:p@host/…`)
 * is taken out the same way, so no URL the agent gives git or writes to a config carries it.
 */
import type { JobSpec } from '@helios-ci/sdk';

export interface CloneSource {
  /** The clone URL without userinfo: safe for argv, remotes and logs. */
  url: string;
  /** `user:password` for HTTP basic auth, or null for an anonymous clone. */
  basic: string | null;
}

/** Removes the credential from `spec` (token, and userinfo in the clone URL) and returns it. */
export function takeCloneCredential(spec: JobSpec): CloneSource {
  const repo = spec.repository;
  const token = repo.token;
  delete repo.token;
  const { url, userinfo } = splitUserinfo(repo.cloneUrl);
  repo.cloneUrl = url;
  return { url, basic: token ? `x-access-token:${token}` : userinfo };
}

/** The URL without `user:password@`, and that userinfo decoded (null if none or not an http(s) URL). */
export function splitUserinfo(cloneUrl: string): { url: string; userinfo: string | null } {
  if (!/^https?:\/\//i.test(cloneUrl)) return { url: cloneUrl, userinfo: null };
  let parsed: URL;
  try {
    parsed = new URL(cloneUrl);
  } catch {
    return { url: cloneUrl, userinfo: null };
  }
  if (!parsed.username && !parsed.password) return { url: cloneUrl, userinfo: null };
  const userinfo = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.href, userinfo };
}

/** git configuration (as GIT_CONFIG_* environment, never argv or a file) sending the credential. */
export function credentialEnv(source: CloneSource): Record<string, string> {
  if (!source.basic) return {};
  return { 'http.extraHeader': `AUTHORIZATION: basic ${Buffer.from(source.basic).toString('base64')}` };
}
