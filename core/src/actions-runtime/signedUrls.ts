/**
 * The "signed blob URLs" the toolkit uploads to and downloads from (on GitHub: Azure Blob SAS
 * URLs). Here they are paths of the runtime service, `/_helios/blob/<target>?se=<expiry>&sig=<mac>`:
 * the MAC (server key) binds the target and the expiry, so the URL is the whole credential, as a
 * SAS URL is. The toolkit masks the `sig` parameter in logs, which is why it is called so.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HeliosError } from '@helios-ci/sdk';

export const BLOB_PREFIX = '/_helios/blob/';

export class SignedUrls {
  constructor(
    private readonly key: Buffer,
    private readonly base: () => string,
  ) {}

  /** `target`: path segments under BLOB_PREFIX (each URL-encoded here). */
  /** `origin`: where the caller reached the service (the MAC binds the path only), default the advertised base. */
  sign(target: readonly string[], ttlMs: number, origin?: string, nowMs = Date.now()): string {
    const path = BLOB_PREFIX + target.map(encodeURIComponent).join('/');
    const se = String(Math.floor((nowMs + ttlMs) / 1000));
    return `${origin ?? this.base()}${path}?se=${se}&sig=${this.mac(path, se)}`;
  }

  /** The target segments of a signed path that has not expired; E_FORBIDDEN otherwise. */
  verify(url: URL, nowMs = Date.now()): string[] {
    const se = url.searchParams.get('se') ?? '';
    const sig = url.searchParams.get('sig') ?? '';
    const expected = Buffer.from(this.mac(url.pathname, se));
    if (!url.pathname.startsWith(BLOB_PREFIX) || Buffer.byteLength(sig) !== expected.length || !timingSafeEqual(Buffer.from(sig), expected)) {
      throw new HeliosError('E_FORBIDDEN', 'the signature of this blob URL does not match; ask the cache or artifact service for a new URL');
    }
    if (!/^\d+$/.test(se) || Number(se) * 1000 <= nowMs) throw new HeliosError('E_FORBIDDEN', 'this blob URL has expired; ask the cache or artifact service for a new one');
    return url.pathname.slice(BLOB_PREFIX.length).split('/').map(decodeURIComponent);
  }

  private mac(path: string, se: string): string {
    return createHmac('sha256', this.key).update(`blob\n${path}\n${se}`).digest('base64url');
  }
}
