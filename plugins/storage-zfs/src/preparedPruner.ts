/**
 * Records when a prepared image was last used and removes the expired ones (preparedExpiry.ts).
 * Runs when core's storage housekeeping calls Storage.prunePrepared: no timer of its own.
 *
 * A prepared image a job's clone still uses cannot be destroyed (ZFS: "filesystem has dependent
 * clones"): it is left alone and tried again on the next pass, never with `destroy -R` (that would
 * destroy the running job's disk).
 */
import type { Logger, PrunedPrepared } from '@helios-ci/sdk';
import { COMPONENT, PROP_LAST_USED, SNAPSHOT_PREPARED } from './layout.js';
import type { Datasets } from './datasets.js';
import { ZfsCommandError } from './zfsCli.js';
import { DAY_MS, expiredPrepared, type PreparedEntry, type PreparedExpirySettings } from './preparedExpiry.js';

export class PreparedPruner {
  constructor(
    private readonly z: Datasets,
    private readonly settings: PreparedExpirySettings,
    private readonly logger: Logger | undefined,
  ) {}

  /**
   * Marks `<image>/<name>` used at `now`. Before the clone is made, so a pass that listed it as
   * expired sees the use when it reads the property again just before destroying.
   */
  async touch(image: string, name: string, now: number): Promise<void> {
    const dataset = this.z.ds(`prepared/${image}/${name}`);
    try {
      await this.z.cli.zfs(['set', `${PROP_LAST_USED}=${now}`, dataset]);
    } catch (err) {
      // Only the expiry is affected; the clone itself says whether the image is there.
      this.logger?.warn('storage-zfs: could not record the use of a prepared image', { prepared: `${image}/${name}`, error: String(err) });
    }
  }

  /** Every prepared image with its last use. */
  async entries(): Promise<PreparedEntry[]> {
    let out: string;
    try {
      out = await this.z.cli.zfs(['list', '-H', '-o', 'name', '-t', 'filesystem,volume', '-r', this.z.ds('prepared')]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return [];
      throw this.z.fail(err, 'listing prepared images', this.z.ds('prepared'));
    }
    const prefix = `${this.z.ds('prepared')}/`;
    const entries: PreparedEntry[] = [];
    for (const dataset of out.split('\n')) {
      if (!dataset.startsWith(prefix)) continue;
      const parts = dataset.slice(prefix.length).split('/');
      // prepared/<image> itself, or anything not made by becomePrepared, is not a prepared image.
      if (parts.length !== 2 || !parts.every((p) => COMPONENT.test(p))) continue;
      const lastUsedMs = await this.lastUsedOf(dataset);
      if (lastUsedMs !== null) entries.push({ image: parts[0]!, name: parts[1]!, lastUsedMs });
    }
    return entries;
  }

  /** `helios:lastused`, else the creation of its @prepared snapshot (kept before uses were recorded); null: gone. */
  private async lastUsedOf(dataset: string): Promise<number | null> {
    const props = await this.z.props(dataset, [PROP_LAST_USED]);
    if (!props) return null;
    const recorded = Number(props[PROP_LAST_USED]);
    if (Number.isSafeInteger(recorded) && recorded > 0) return recorded;
    const snapshot = await this.z.props(`${dataset}@${SNAPSHOT_PREPARED}`, ['creation']);
    const created = Number(snapshot?.creation);
    // No snapshot (a half-made one): as old as can be, so it goes.
    return Number.isFinite(created) && created > 0 ? created * 1000 : 0;
  }

  async prune(now: number): Promise<PrunedPrepared> {
    const result: PrunedPrepared = { removed: [], inUse: [] };
    for (const { entry, why } of expiredPrepared(await this.entries(), now, this.settings)) {
      const name = `${entry.image}/${entry.name}`;
      const dataset = this.z.ds(`prepared/${name}`);
      // Used since it was listed (a job is starting from it): not expired any more.
      const lastUsed = await this.lastUsedOf(dataset);
      if (lastUsed === null || lastUsed !== entry.lastUsedMs) continue;
      try {
        // -r: its own @prepared snapshot. Never -R: ZFS refuses while a job's clone depends on it.
        await this.z.cli.zfsRetryingBusy(['destroy', '-r', dataset], 2);
      } catch (err) {
        if (err instanceof ZfsCommandError && err.failure === 'not-found') continue;
        if (err instanceof ZfsCommandError && (err.failure === 'has-dependents' || err.failure === 'busy')) {
          result.inUse.push(name);
          this.logger?.info('storage-zfs: expired prepared image still in use by a job; removed on a later pass', { prepared: name, why });
          continue;
        }
        this.logger?.warn('storage-zfs: could not remove an expired prepared image', { prepared: name, why, error: String(err) });
        continue;
      }
      result.removed.push(name);
      this.logger?.info(`storage-zfs: removed prepared image ${name}: ${why}`, { prepared: name, lastUsed: new Date(entry.lastUsedMs).toISOString(), idleDays: Math.floor((now - entry.lastUsedMs) / DAY_MS) });
    }
    return result;
  }
}
