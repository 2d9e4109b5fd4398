import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';

/** `sha256=<lowercase hex HMAC-SHA256 of the raw body>`, as GitHub sends in X-Hub-Signature-256. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * Checks X-Hub-Signature-256 over the exact bytes received. The comparison is constant-time on
 * equal-length digests; the length check leaks only the (public) digest length.
 */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined, forgeId: string): void {
  const expected = Buffer.from(signBody(secret, rawBody), 'utf8');
  const given = Buffer.from(typeof header === 'string' ? header.trim() : '', 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HeliosError(
      'E_SIGNATURE_INVALID',
      header
        ? `GitHub forge ${forgeId}: X-Hub-Signature-256 does not match the body; check that the App's webhook secret equals the configured webhookSecret`
        : `GitHub forge ${forgeId}: the delivery has no X-Hub-Signature-256 header; set a webhook secret in the GitHub App settings`,
    );
  }
}
