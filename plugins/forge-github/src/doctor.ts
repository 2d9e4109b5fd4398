import { doctorError, doctorOk, doctorWarning, isHeliosError, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { parsePrivateKey } from './appJwt.js';
import { GitHubClient } from './client.js';
import type { GitHubConfig } from './config.js';

/** Shorter webhook secrets are guessable; GitHub suggests a long random string. */
const MIN_SECRET_CHARS = 16;

interface Installation {
  id: number;
  account?: { login?: string } | null;
  suspended_at?: string | null;
}

/**
 * `helios doctor` for a GitHub App: the webhook secret, the private key, GitHub accepting the App
 * JWT (GET /app) and the installations (GET /app/installations). Read-only calls as the App.
 */
export async function githubDoctor(ctx: DoctorContext<GitHubConfig>): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const checks: DoctorCheck[] = [];
  checks.push(
    c.webhookSecret.length >= MIN_SECRET_CHARS
      ? doctorOk('webhook secret', 'set')
      : doctorWarning('webhook secret', `set, but only ${c.webhookSecret.length} characters`, `generate a long one (openssl rand -hex 32), set it in the App's webhook settings and in the secret helios.yaml references`),
  );
  let key;
  try {
    key = parsePrivateKey(c.privateKey, ctx.instance);
    checks.push(doctorOk('private key', 'a PEM private key'));
  } catch (err) {
    checks.push(doctorError('private key', (err as Error).message, "download a new private key in the App's settings (Private keys → Generate) and store it as the referenced secret"));
    return checks;
  }
  const client = new GitHubClient({ forgeId: ctx.instance, appId: c.appId, key, baseUrl: c.baseUrl, logger: ctx.logger, retries: 0 });
  try {
    const { data } = await client.appRequest<{ slug?: string; name?: string }>('GET /app', {}, 'reading the App (GET /app)');
    checks.push(doctorOk('app JWT accepted', `GitHub accepts the JWT of App ${c.appId}${data.slug ? ` (${data.slug})` : ''} at ${c.baseUrl}`));
  } catch (err) {
    const status = isHeliosError(err) ? err.upstreamStatus : undefined;
    checks.push(
      status === 401
        ? doctorError('app JWT accepted', `GitHub refused the App JWT: ${(err as Error).message}`, `appId must be the App's id and privateKey a current key of that App (App settings → Private keys); also check this host's clock (ntp)`)
        : doctorError('app JWT accepted', `GitHub at ${c.baseUrl} cannot be asked: ${(err as Error).message}`, `check that ${c.baseUrl} is reachable from this host (proxy, firewall, DNS) and that baseUrl is the REST root (GHES: https://HOST/api/v3)`),
    );
    return checks;
  }
  try {
    const { data } = await client.appRequest<Installation[]>('GET /app/installations', { per_page: 100 }, 'listing the App installations');
    const active = data.filter((i) => !i.suspended_at);
    const owners = active.map((i) => i.account?.login ?? String(i.id));
    if (active.length === 0) {
      checks.push(doctorWarning('installations', data.length ? `all ${data.length} installations are suspended` : 'the App is installed nowhere', 'install the App on the accounts or repositories Helios should build (App settings → Install App)'));
    } else {
      const outside = c.allowedOwners ? owners.filter((o) => !c.allowedOwners!.some((a) => a.toLowerCase() === o.toLowerCase())) : [];
      checks.push(doctorOk('installations', `${active.length} installation${active.length === 1 ? '' : 's'}: ${owners.join(', ')}`));
      if (outside.length) checks.push(doctorWarning('allowed owners', `installed on ${outside.join(', ')}, which allowedOwners leaves out: their events are ignored`, 'add them to allowedOwners, or uninstall the App there'));
    }
  } catch (err) {
    checks.push(doctorError('installations', `listing the installations failed: ${(err as Error).message}`, 'see the message; the App JWT was accepted, so GitHub itself refused the list'));
  }
  return checks;
}
