import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';

/** `helios serve` holds its data dir through this file (its pid); `helios restore` refuses while it does. */
export const SERVE_LOCK_FILE = 'serve.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live `helios serve` holding `dataDir`, or null (a stale file from a crash is ignored). */
export function dataDirHolder(dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, SERVE_LOCK_FILE), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

/** Takes the data dir for this process; E_DATA_DIR_LOCKED if another live serve holds it. Returns the release. */
export function lockDataDir(dataDir: string): () => void {
  const holder = dataDirHolder(dataDir);
  if (holder !== null) {
    throw new HeliosError('E_DATA_DIR_LOCKED', `${dataDir} is in use by helios serve (pid ${holder}); stop it first, or give this one another server.dataDir`, { facts: { pid: holder, dataDir } });
  }
  const file = join(dataDir, SERVE_LOCK_FILE);
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}
