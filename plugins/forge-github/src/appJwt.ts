import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';

/** iat this far in the past absorbs clock drift (GitHub's own example uses 60 s). */
export const JWT_IAT_SKEW_S = 60;
/** exp this far ahead: the JWT lives ≤ 10 minutes, and is still ≤ 10 min ahead if our clock runs fast. */
export const JWT_LIFETIME_S = 540;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Parses the PEM once; a bad key is a config error that names the setting, never the key. */
export function parsePrivateKey(pem: string, forgeId: string): KeyObject {
  try {
    // Keys pasted into env variables often carry literal "\n" sequences.
    return createPrivateKey(pem.includes('\\n') && !pem.includes('\n') ? pem.replace(/\\n/g, '\n') : pem);
  } catch {
    throw new HeliosError('E_CONFIG_INVALID', `GitHub forge ${forgeId}: privateKey is not a PEM private key; download the App's key (.pem) and reference it as a secret`);
  }
}

/**
 * The App JWT (RS256; iat 60 s in the past, exp 9 min ahead). `timeDifferenceS` is GitHub's clock
 * minus ours, as @octokit/auth-app measures it from a 401's Date header.
 */
export function createAppJwt(appId: number, key: KeyObject, nowMs = Date.now(), timeDifferenceS = 0): { jwt: string; expiresAt: string } {
  const now = Math.floor(nowMs / 1000) + timeDifferenceS;
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat: now - JWT_IAT_SKEW_S, exp: now + JWT_LIFETIME_S, iss: String(appId) }));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key);
  return { jwt: `${header}.${payload}.${b64url(signature)}`, expiresAt: new Date((now + JWT_LIFETIME_S) * 1000).toISOString() };
}
