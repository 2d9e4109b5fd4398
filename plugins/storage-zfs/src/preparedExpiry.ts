/**
 * Which prepared images (`prepared/<image>/<name>`) have expired: unused for longer than
 * `preparedMaxAgeDays`, or beyond the `preparedKeepPerImage` most recently used of their image.
 * "Used" is the last clone made from it (`helios:lastused`), or its creation when it was never cloned.
 */
import { HeliosError } from '@helios-ci/sdk';

export const DAY_MS = 86_400_000;
/** Default of preparedMaxAgeDays: two weeks without a job starting from it. */
export const DEFAULT_PREPARED_MAX_AGE_DAYS = 14;

export interface PreparedExpirySettings {
  /** Days since the last use after which a prepared image is removed; 0: never by age. */
  maxAgeDays: number;
  /** At most this many per image (the most recently used stay); null: no limit. */
  keepPerImage: number | null;
}

export interface PreparedEntry {
  image: string;
  name: string;
  /** Epoch ms of the last clone made from it (or of its creation). */
  lastUsedMs: number;
}

export interface ExpiredPrepared {
  entry: PreparedEntry;
  /** Why it goes, for the log line. */
  why: string;
}

/** Checks settings given in code (the plugin's schema checks helios.yaml first): E_STORAGE_CONFIG. */
export function preparedExpirySettings(maxAgeDays: unknown, keepPerImage: unknown): PreparedExpirySettings {
  const age = maxAgeDays ?? DEFAULT_PREPARED_MAX_AGE_DAYS;
  if (typeof age !== 'number' || !Number.isInteger(age) || age < 0) {
    throw new HeliosError('E_STORAGE_CONFIG', `storage-zfs: preparedMaxAgeDays ${JSON.stringify(age)} is not a whole number of days >= 0; set e.g. preparedMaxAgeDays: ${DEFAULT_PREPARED_MAX_AGE_DAYS} (0 keeps prepared images whatever their age)`);
  }
  if (keepPerImage !== undefined && keepPerImage !== null && (typeof keepPerImage !== 'number' || !Number.isInteger(keepPerImage) || keepPerImage < 1)) {
    throw new HeliosError('E_STORAGE_CONFIG', `storage-zfs: preparedKeepPerImage ${JSON.stringify(keepPerImage)} is not a whole number >= 1; set how many prepared images to keep per image, or leave it out for no limit`);
  }
  return { maxAgeDays: age, keepPerImage: (keepPerImage as number | null | undefined) ?? null };
}

/** The expired entries of `entries` at `now`, each once, oldest use first. */
export function expiredPrepared(entries: readonly PreparedEntry[], now: number, settings: PreparedExpirySettings): ExpiredPrepared[] {
  const out = new Map<PreparedEntry, string>();
  if (settings.maxAgeDays > 0) {
    for (const e of entries) {
      const idle = now - e.lastUsedMs;
      if (idle > settings.maxAgeDays * DAY_MS) out.set(e, `unused for ${Math.floor(idle / DAY_MS)} days (preparedMaxAgeDays: ${settings.maxAgeDays})`);
    }
  }
  if (settings.keepPerImage !== null) {
    const byImage = new Map<string, PreparedEntry[]>();
    for (const e of entries) byImage.set(e.image, [...(byImage.get(e.image) ?? []), e]);
    for (const [image, list] of byImage) {
      const newestFirst = [...list].sort((a, b) => b.lastUsedMs - a.lastUsedMs);
      for (const e of newestFirst.slice(settings.keepPerImage)) {
        if (!out.has(e)) out.set(e, `more than ${settings.keepPerImage} prepared images of ${image}, and this one the least recently used (preparedKeepPerImage: ${settings.keepPerImage})`);
      }
    }
  }
  return [...out].map(([entry, why]) => ({ entry, why })).sort((a, b) => a.entry.lastUsedMs - b.entry.lastUsedMs);
}
