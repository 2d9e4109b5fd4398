import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeliosError } from '@helios-ci/sdk';

export const ADMIN_TOKEN_ENV = 'HELIOS_ADMIN_TOKEN';
export const ADMIN_TOKEN_FILE = 'admin-token';
/** Shorter tokens are guessable; the generated one is 43 characters. */
const MIN_LENGTH = 16;

export interface AdminToken {
  value: string;
  /** `env` (HELIOS_ADMIN_TOKEN), or `file` (<dataDir>/admin-token). */
  source: 'env' | 'file';
  /** The token file, for `file`. */
  path?: string;
  /** True when this start created the file. */
  created: boolean;
  /** Problems worth a warning in the serve log (e.g. a token file others can read). */
  warnings: string[];
}

/**
 * The token the REST API's write endpoints require. `HELIOS_ADMIN_TOKEN` wins; otherwise the file
 * `<dataDir>/admin-token` is read, or created with a random token (mode 600) on the first start.
 * The token is deliberately not a helios.yaml key: the kernel resolves `{ secret }`/`{ env }`
 * references only inside plugin configs, and a literal token in the config file would leak with it.
 */
export function loadAdminToken(dataDir: string, env: NodeJS.ProcessEnv = process.env): AdminToken {
  const fromEnv = env[ADMIN_TOKEN_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.trim().length < MIN_LENGTH) throw new HeliosError('E_ADMIN_TOKEN_INVALID', `${ADMIN_TOKEN_ENV} is shorter than ${MIN_LENGTH} characters; use a long random value (openssl rand -base64 32)`);
    return { value: fromEnv.trim(), source: 'env', created: false, warnings: [] };
  }
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  mkdirSync(dataDir, { recursive: true });
  let created = false;
  try {
    // `wx`: never overwrite a token another process (or an earlier start) wrote.
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new HeliosError('E_ADMIN_TOKEN_FILE', `cannot create the admin token file ${path}: ${(err as Error).message}; check that server.dataDir is writable`, { cause: err });
    }
  }
  const value = readFileSync(path, 'utf8').trim();
  if (value.length < MIN_LENGTH) {
    throw new HeliosError('E_ADMIN_TOKEN_INVALID', `the admin token in ${path} is shorter than ${MIN_LENGTH} characters; delete the file to get a new random token`);
  }
  const warnings: string[] = [];
  if ((statSync(path).mode & 0o077) !== 0) warnings.push(`${path} is readable by other users; chmod 600 it`);
  return { value, source: 'file', path, created, warnings };
}
