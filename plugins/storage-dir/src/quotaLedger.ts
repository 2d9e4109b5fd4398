import { HeliosError } from '@helios-ci/sdk';

/**
 * Bytes each quota group (repository) holds: committed blobs, counted once from disk on the group's
 * first use and kept up to date by this process, plus uploads in flight, reserved chunk by chunk as
 * bytes arrive so a write over the quota stops at the chunk that crosses it, not at the end.
 *
 * Blobs removed or added by another process over the same directory are seen after a restart.
 */
export class QuotaLedger {
  private readonly committed = new Map<string, number>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly limitBytes: number,
    /** Sums the sizes of the group's committed blobs on disk. */
    private readonly scan: (groupKey: string) => Promise<number>,
  ) {}

  /** Counts the group's committed bytes once; later calls wait for the same count. */
  load(groupKey: string): Promise<void> {
    let p = this.loading.get(groupKey);
    if (!p) {
      p = this.scan(groupKey).then((bytes) => void this.committed.set(groupKey, bytes));
      this.loading.set(groupKey, p);
      p.catch(() => this.loading.delete(groupKey));
    }
    return p;
  }

  /** Reserves `bytes` more for an upload of the group (after `load`), or refuses with E_STORAGE_QUOTA. */
  reserve(groupKey: string, group: string, bytes: number): void {
    const held = (this.committed.get(groupKey) ?? 0) + (this.inFlight.get(groupKey) ?? 0);
    if (held + bytes > this.limitBytes) {
      throw new HeliosError(
        'E_STORAGE_QUOTA',
        `storage-dir: ${group} would hold more than its quota of ${this.limitBytes} bytes (${held} held or being written); nothing was stored. Remove old caches or artifacts, or raise quotaPerRepositoryBytes`,
        { facts: { group, limitBytes: this.limitBytes, heldBytes: held } },
      );
    }
    this.inFlight.set(groupKey, (this.inFlight.get(groupKey) ?? 0) + bytes);
  }

  /** Ends an upload: its `reserved` bytes leave the in-flight count; `committedBytes` (0 on failure) join the committed. */
  settle(groupKey: string, reserved: number, committedBytes: number): void {
    this.inFlight.set(groupKey, (this.inFlight.get(groupKey) ?? 0) - reserved);
    if (committedBytes > 0) this.committed.set(groupKey, (this.committed.get(groupKey) ?? 0) + committedBytes);
  }

  /** A committed blob of the group was removed (call after `load`, so the count saw it). */
  released(groupKey: string, bytes: number): void {
    const now = this.committed.get(groupKey);
    if (now !== undefined) this.committed.set(groupKey, Math.max(0, now - bytes));
  }
}
