import type { Logger } from '@helios-ci/sdk';
import { VaultHttp } from '../src/vaultHttp.js';
import { VaultSecrets, type VaultSecretsOptions } from '../src/vaultSecrets.js';
import { VaultSession, type VaultAuth } from '../src/vaultSession.js';
import { DEFAULT_JOB_PATHS } from '../src/index.js';
import { VaultStandIn } from './standIn/vaultStandIn.js';

export const ROLE_ID = 'c9f1d2e3-role-id-helios';
export const SECRET_ID = 'f00dfeed-secret-id-helios';
/** What the CI's policy grants: read on the config and job paths of the KV v2 mount. */
export const CI_PATHS = ['secret/data/helios/config/*', 'secret/data/ci/*'];

export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps what it was told, to assert on (and to prove no value reached it). */
export function memoryLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (): Logger => {
    const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => make() };
  };
  return { logger: make(), lines };
}

export async function standIn(o: ConstructorParameters<typeof VaultStandIn>[0] = {}): Promise<VaultStandIn> {
  const v = new VaultStandIn(o);
  await v.start();
  v.addRole({ roleId: ROLE_ID, secretId: SECRET_ID, ttlSeconds: 3600, maxTtlSeconds: 7200, paths: CI_PATHS });
  return v;
}

export interface Made {
  secrets: VaultSecrets;
  session: VaultSession;
  logger: Logger;
  lines: LogLine[];
}

/** A VaultSecrets on the stand-in with AppRole (secret_id from the environment) unless told otherwise. */
export async function makeSecrets(
  v: VaultStandIn,
  o: { auth?: VaultAuth; env?: NodeJS.ProcessEnv; timeoutMs?: number; retries?: number; namespace?: string; ca?: string; secrets?: Partial<VaultSecretsOptions> } = {},
): Promise<Made> {
  const { logger, lines } = memoryLogger();
  const http = new VaultHttp({ address: v.url, timeoutMs: o.timeoutMs ?? 2000, namespace: o.namespace, ca: o.ca });
  const session = new VaultSession({
    http,
    auth: o.auth ?? { method: 'approle', mount: 'approle', roleId: ROLE_ID, secretIdEnv: 'VAULT_SECRET_ID' },
    env: o.env ?? { VAULT_SECRET_ID: SECRET_ID },
    logger,
    retries: o.retries ?? 2,
    backoffMs: 20,
  });
  await session.start();
  const secrets = new VaultSecrets({
    session,
    logger,
    mount: 'secret',
    configPath: 'helios/config/{ref}',
    jobPaths: DEFAULT_JOB_PATHS,
    versions: {},
    cacheTtlMs: 60_000,
    missing: 'fail',
    ...o.secrets,
  });
  return { secrets, session, logger, lines };
}
