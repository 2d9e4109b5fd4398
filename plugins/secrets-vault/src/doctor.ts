import { readFileSync } from 'node:fs';
import { doctorError, doctorOk, doctorWarning, isHeliosError, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { vaultErrors, VaultHttp } from './vaultHttp.js';
import type { VaultAuth } from './vaultSession.js';

/** A token with less left than this (and not renewable) will stop Helios soon. */
const SHORT_TTL_S = 3600;

interface DoctorConfig {
  address: string;
  namespace?: string;
  caBundle?: string;
  auth: VaultAuth;
  requestTimeoutSeconds: number;
}

function readCredential(file: string | undefined, envName: string | undefined, env: NodeJS.ProcessEnv): string | null {
  try {
    const value = file ? readFileSync(file, 'utf8').trim() : envName ? env[envName]?.trim() : undefined;
    return value ? value : null;
  } catch {
    return null;
  }
}

function ttlText(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : `${seconds} s`;
}

/**
 * `helios doctor` for Vault: reachable, unsealed and active (an unauthenticated lookup-self answers
 * 403 from a healthy Vault, 503 from a sealed one, 429 from a standby), then the credentials and the
 * token's TTL. One request per check, no retries: doctor reports, it does not wait Vault out.
 */
export async function vaultDoctor(ctx: DoctorContext<DoctorConfig>, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const http = new VaultHttp({ address: c.address, namespace: c.namespace, ca: c.caBundle, timeoutMs: c.requestTimeoutSeconds * 1000 });
  const checks: DoctorCheck[] = [];
  let probe;
  try {
    probe = await http.call('GET', 'auth/token/lookup-self');
  } catch (err) {
    const code = isHeliosError(err) ? err.code : 'E_VAULT_UNAVAILABLE';
    checks.push(doctorError('reachable', (err as Error).message, code === 'E_VAULT_TIMEOUT' ? `check that Vault answers at ${c.address} (vault status), or raise requestTimeoutSeconds` : `start Vault, or fix address (${c.address}); from this host: curl ${c.address}/v1/sys/health`));
    return checks;
  }
  checks.push(doctorOk('reachable', `${c.address} answers`));
  if (probe.status === 503) {
    checks.push(doctorError('unsealed', `Vault is sealed or unavailable (HTTP 503: ${vaultErrors(probe.body)})`, 'unseal it: vault operator unseal (with the unseal keys), then vault status shows Sealed false'));
    return checks;
  }
  if (probe.status === 429) {
    checks.push(doctorWarning('unsealed', `a standby node answered (HTTP 429: ${vaultErrors(probe.body)})`, 'point address at the active node or the cluster\'s load balancer'));
    return checks;
  }
  checks.push(doctorOk('unsealed', 'unsealed and active'));

  const auth = c.auth;
  if (auth.method === 'token') {
    const where = auth.tokenFile ?? `$${auth.tokenEnv}`;
    const token = readCredential(auth.tokenFile, auth.tokenEnv, env);
    if (!token) {
      checks.push(doctorError('token', `no token in ${where}`, `write the token to ${where} (readable only by the helios user)`));
      return checks;
    }
    const res = await http.call('GET', 'auth/token/lookup-self', { token });
    if (res.status !== 200 || !res.body.data) {
      checks.push(doctorError('token', `Vault does not accept the token from ${where} (HTTP ${res.status}: ${vaultErrors(res.body)})`, 'create a new one (vault token create -policy=helios -period=24h) and write it there'));
      return checks;
    }
    const ttl = Number(res.body.data.ttl ?? 0);
    const renewable = res.body.data.renewable === true;
    if (ttl === 0) checks.push(doctorOk('token TTL', 'the token never expires'));
    else if (ttl < SHORT_TTL_S && !renewable) checks.push(doctorWarning('token TTL', `${ttlText(ttl)} left and not renewable`, 'use a periodic token (vault token create -period=24h) or AppRole, or Helios stops reading secrets when it expires'));
    else checks.push(doctorOk('token TTL', `${ttlText(ttl)} left${renewable ? ', renewable (Helios renews it)' : ''}`));
    return checks;
  }
  const secretId = readCredential(auth.secretIdFile, auth.secretIdEnv, env);
  const where = auth.secretIdFile ?? `$${auth.secretIdEnv}`;
  if (!secretId) {
    checks.push(doctorError('approle login', `no secret_id in ${where}`, `write a secret_id there (vault write -f auth/${auth.mount}/role/<role>/secret-id)`));
    return checks;
  }
  const path = `auth/${auth.mount.split('/').map(encodeURIComponent).join('/')}/login`;
  const res = await http.call('POST', path, { body: { role_id: auth.roleId, secret_id: secretId } });
  if (res.status !== 200 || !res.body.auth?.client_token) {
    checks.push(doctorError('approle login', `refused (HTTP ${res.status}: ${vaultErrors(res.body)})`, `check roleId and the secret_id in ${where} (secret IDs expire: vault write -f auth/${auth.mount}/role/<role>/secret-id)`));
    return checks;
  }
  checks.push(doctorOk('approle login', `works; tokens last ${ttlText(Number(res.body.auth.lease_duration) || 0)}`));
  return checks;
}
