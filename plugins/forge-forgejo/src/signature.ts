import { HeliosError, hmacSha256Hex, verifyHmacSha256, webhookHeader, type WebhookHeaders } from '@helios-ci/sdk';

/** Forgejo sends the X-Forgejo-* family, Gitea (and Forgejo, for compatibility) the X-Gitea-* one. */
export function forgejoHeader(headers: WebhookHeaders, suffix: 'Event' | 'Event-Type' | 'Delivery' | 'Signature'): string | undefined {
  const value = webhookHeader(headers, `x-forgejo-${suffix}`) || webhookHeader(headers, `x-gitea-${suffix}`);
  return value || undefined;
}

/** Lowercase hex HMAC-SHA256 of the raw body, as Forgejo computes it (no prefix). */
export function sign(secret: string, body: Buffer): string {
  return hmacSha256Hex(secret, body);
}

/**
 * Checks the delivery's signature over the exact raw bytes in constant time (sdk `verifyHmacSha256`).
 * Throws E_SIGNATURE_INVALID (the kernel answers 401) when it is missing or does not match.
 */
export function verifySignature(headers: WebhookHeaders, rawBody: Buffer, secret: string, forgeId: string): void {
  const given = forgejoHeader(headers, 'Signature');
  if (!verifyHmacSha256(secret, rawBody, given, { prefix: 'absent' })) {
    throw new HeliosError(
      'E_SIGNATURE_INVALID',
      given
        ? `Forgejo webhook for ${forgeId}: the X-Forgejo-Signature does not match; the hook's secret must equal this instance's webhookSecret`
        : `Forgejo webhook for ${forgeId}: no X-Forgejo-Signature (or X-Gitea-Signature) header; give the hook a secret equal to this instance's webhookSecret`,
    );
  }
}
