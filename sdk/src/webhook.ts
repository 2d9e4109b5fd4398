import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Permission } from './interfaces/forge.js';

/**
 * Webhook plumbing every forge needs the same way: header lookup, signature check, owner filter and
 * permission mapping. One copy here, so a fix (e.g. to the constant-time compare) reaches every forge.
 */

export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** A header by name, whatever its case (Node lower-cases them; a direct caller may not). The first value of a repeated header. */
export function webhookHeader(headers: WebhookHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value = headers[wanted];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === wanted);
    value = key === undefined ? undefined : headers[key];
  }
  return Array.isArray(value) ? value[0] : value;
}

/** Lowercase hex HMAC-SHA256 of the raw body (no prefix). */
export function hmacSha256Hex(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Whether the signature carries GitHub's `sha256=` prefix: GitHub always does, Forgejo never. */
export type SignaturePrefix = 'required' | 'absent' | 'optional';

/**
 * True when `signature` is the HMAC-SHA256 of the exact raw bytes under `secret`: 64 hex digits (any
 * case), with a `sha256=` prefix as `prefix` says (default `optional`; a forge that knows its format
 * should say `required` or `absent`, so a header in another forge's form is refused). The compare is
 * constant-time; a missing or malformed signature takes the same path as a wrong one.
 */
export function verifyHmacSha256(secret: string, rawBody: Buffer | string, signature: string | undefined, options: { prefix?: SignaturePrefix } = {}): boolean {
  const prefix = options.prefix ?? 'optional';
  const expected = Buffer.from(hmacSha256Hex(secret, rawBody), 'hex');
  const given = (signature ?? '').trim();
  const prefixed = given.startsWith('sha256=');
  const hex = prefixed ? given.slice('sha256='.length) : given;
  const wellFormed = /^[0-9a-fA-F]{64}$/.test(hex) && (prefix === 'optional' || (prefix === 'required') === prefixed);
  const bytes = wellFormed ? Buffer.from(hex, 'hex') : Buffer.alloc(expected.length);
  return timingSafeEqual(bytes, expected) && wellFormed;
}

/**
 * The owner filter of a forge's `allowedOwners` option: null or undefined lets every owner in;
 * otherwise the repository owner must be listed (compared case-insensitively, as forges treat names).
 */
export function ownerAllowed(allowedOwners: readonly string[] | null | undefined, owner: string): boolean {
  if (!allowedOwners) return true;
  const wanted = owner.toLowerCase();
  return allowedOwners.some((a) => a.toLowerCase() === wanted);
}

/**
 * A forge's role or permission name as Helios's four levels. Covers GitHub (`admin`, `maintain`,
 * `write`, `triage`, `read`; legacy `push`/`pull`) and Forgejo/Gitea (`owner`, `admin`, `write`,
 * `read`); anything else, including no value, is `none`, so an unknown role never grants write.
 */
export function permissionFromRole(role: string | null | undefined): Permission {
  switch (role?.toLowerCase()) {
    case 'owner':
    case 'admin':
    case 'maintain':
      return 'admin';
    case 'write':
    case 'push':
      return 'write';
    case 'triage':
    case 'read':
    case 'pull':
      return 'read';
    default:
      return 'none';
  }
}
