import { HeliosError, hmacSha256Hex, verifyHmacSha256 } from '@helios-ci/sdk';

/** `sha256=<lowercase hex HMAC-SHA256 of the raw body>`, as GitHub sends in X-Hub-Signature-256. */
export function signBody(secret: string, rawBody: Buffer | string): string {
  return 'sha256=' + hmacSha256Hex(secret, rawBody);
}

/** Checks X-Hub-Signature-256 over the exact bytes received (constant-time, sdk `verifyHmacSha256`). */
export function verifySignature(secret: string, rawBody: Buffer, header: string | undefined, forgeId: string): void {
  if (!verifyHmacSha256(secret, rawBody, header, { prefix: 'required' })) {
    throw new HeliosError(
      'E_SIGNATURE_INVALID',
      header
        ? `GitHub forge ${forgeId}: X-Hub-Signature-256 does not match the body; check that the App's webhook secret equals the configured webhookSecret`
        : `GitHub forge ${forgeId}: the delivery has no X-Hub-Signature-256 header; set a webhook secret in the GitHub App settings`,
    );
  }
}
