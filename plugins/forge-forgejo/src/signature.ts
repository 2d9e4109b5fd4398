import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';

type Headers = Record<string, string | undefined>;

/** A header by name, whatever its case (Node lower-cases them; a direct caller may not). */
export function header(headers: Headers, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const direct = headers[wanted];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

/** Forgejo sends the X-Forgejo-* family, Gitea (and Forgejo, for compatibility) the X-Gitea-* one. */
export function forgejoHeader(headers: Headers, suffix: 'Event' | 'Event-Type' | 'Delivery' | 'Signature'): string | undefined {
  const value = header(headers, `x-forgejo-${suffix}`) || header(headers, `x-gitea-${suffix}`);
  return value || undefined;
}

/** Lowercase hex HMAC-SHA256 of the raw body, as Forgejo computes it. */
export function sign(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Checks the delivery's signature over the exact raw bytes in constant time. Throws
 * E_SIGNATURE_INVALID (the kernel answers 401) when it is missing or does not match.
 */
export function verifySignature(headers: Headers, rawBody: Buffer, secret: string, forgeId: string): void {
  const given = forgejoHeader(headers, 'Signature') ?? '';
  const expected = Buffer.from(sign(secret, rawBody), 'hex');
  // Decode before comparing: timingSafeEqual needs equal lengths, and a malformed header must
  // fail the same way as a wrong one.
  const givenBytes = /^[0-9a-fA-F]{64}$/.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(expected.length);
  const ok = timingSafeEqual(givenBytes, expected) && given.length === 64;
  if (!ok) {
    throw new HeliosError(
      'E_SIGNATURE_INVALID',
      given
        ? `Forgejo webhook for ${forgeId}: the X-Forgejo-Signature does not match; the hook's secret must equal this instance's webhookSecret`
        : `Forgejo webhook for ${forgeId}: no X-Forgejo-Signature (or X-Gitea-Signature) header; give the hook a secret equal to this instance's webhookSecret`,
    );
  }
}
