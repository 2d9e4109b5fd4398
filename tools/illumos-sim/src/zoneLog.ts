/** The brand's boot log, `<zonepath>/log/zone.log`: timestamped lines, appended. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function zoneLog(zonepath: string, lines: string[]): string {
  const dir = join(zonepath, 'log');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'zone.log');
  const stamp = new Date().toISOString();
  appendFileSync(file, lines.map((l) => `[${stamp}] ${l}\n`).join(''));
  return file;
}
