import { verify, type KeyObject } from 'node:crypto';

/** GitHub's App JWT rules: RS256 by the App's key, iss = App id, iat not ahead, exp ahead by ≤ 10 min. */
export function checkAppJwt(token: string, publicKey: KeyObject, appId: number, nowMs = Date.now()): string | null {
  const parts = token.split('.');
  if (parts.length !== 3) return 'A JSON web token could not be decoded';
  let header: { alg?: string };
  let payload: { iat?: unknown; exp?: unknown; iss?: unknown };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return 'A JSON web token could not be decoded';
  }
  if (header.alg !== 'RS256') return "'alg' must be RS256";
  if (!verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKey, Buffer.from(parts[2]!, 'base64url'))) return 'A JSON web token could not be decoded';
  const now = Math.floor(nowMs / 1000);
  if (String(payload.iss) !== String(appId)) return "'Issuer' claim ('iss') must be an Integer";
  if (!Number.isInteger(payload.exp) || (payload.exp as number) <= now) return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
  if ((payload.exp as number) - now > 600) return "'Expiration time' claim ('exp') is too far in the future";
  if (!Number.isInteger(payload.iat) || (payload.iat as number) > now) return "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
  return null;
}
