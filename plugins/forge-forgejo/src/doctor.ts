import { doctorError, doctorOk, doctorWarning, isHeliosError, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { ForgejoClient } from './client.js';
import type { ForgejoConfig } from './config.js';

const MIN_SECRET_CHARS = 16;

/** Asks Forgejo who a token belongs to (GET /user): the one read that needs nothing but a valid token. */
async function tokenCheck(name: string, baseUrl: string, token: string, timeoutMs: number, setting: string): Promise<DoctorCheck> {
  const client = new ForgejoClient({ baseUrl, token, timeoutMs });
  try {
    const { body } = await client.request<{ login?: string }>('GET', '/user');
    return doctorOk(name, `valid (user ${body?.login ?? '?'})`);
  } catch (err) {
    const status = isHeliosError(err) ? err.upstreamStatus : undefined;
    if (status === 401 || status === 403) {
      return doctorError(name, `Forgejo refused it (HTTP ${status})`, `create a new access token (Settings → Applications; ${setting === 'token' ? 'write:repository, read:user' : 'read:repository, read:user'}) and store it as the secret ${setting} references`);
    }
    return doctorError(name, `Forgejo at ${baseUrl} cannot be asked: ${(err as Error).message}`, `check that ${baseUrl} is reachable from this host and is the Forgejo root URL`);
  }
}

/** `helios doctor` for a Forgejo/Gitea forge: the webhook secret and the tokens. */
export async function forgejoDoctor(ctx: DoctorContext<ForgejoConfig>): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const timeoutMs = c.requestTimeoutSeconds * 1000;
  const checks: DoctorCheck[] = [
    c.webhookSecret.length >= MIN_SECRET_CHARS
      ? doctorOk('webhook secret', 'set')
      : doctorWarning('webhook secret', `set, but only ${c.webhookSecret.length} characters`, 'generate a long one (openssl rand -hex 32), then helios forgejo install-hook again for each repository'),
    await tokenCheck('token', c.baseUrl, c.token, timeoutMs, 'token'),
  ];
  if (c.cloneToken) checks.push(await tokenCheck('clone token', c.baseUrl, c.cloneToken, timeoutMs, 'cloneToken'));
  return checks;
}
