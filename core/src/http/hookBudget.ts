/**
 * The bytes of request bodies buffered at once over all plugin routes (webhooks): each request
 * reserves what it declares (or what it has received, for chunked bodies) before buffering it, and
 * gives it back when done. A full budget makes new bodies wait outside (503 + Retry-After) instead of
 * letting unauthenticated clients grow the heap without bound — the signature is only checked on
 * the whole body, so nothing can be refused earlier.
 */
export class BodyBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inFlight(): number {
    return this.used;
  }

  reserve(bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
