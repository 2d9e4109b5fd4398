import type { Logger } from '@helios-ci/sdk';
import { ForgejoForge } from '../../src/forgejoForge.js';
import { DEFAULT_CONTEXT_TEMPLATE, DEFAULT_REQUESTS_PER_MINUTE, type ForgejoConfig } from '../../src/config.js';
import { FIXTURE_SECRET } from './fixtures.js';

export interface LogEntry {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps what it is told, so tests can check what was (and was not) logged. */
export function memoryLogger(entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void entries.push({ level, msg, ...(fields ? { fields } : {}) });
  const logger = { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
  return logger;
}

export function forgeFor(baseUrl: string, overrides: Partial<ForgejoConfig> = {}, logger = memoryLogger()): ForgejoForge {
  const config: ForgejoConfig = {
    baseUrl,
    token: 'test-token-0123456789',
    webhookSecret: FIXTURE_SECRET,
    contextTemplate: DEFAULT_CONTEXT_TEMPLATE,
    requestsPerMinute: DEFAULT_REQUESTS_PER_MINUTE,
    requestTimeoutSeconds: 5,
    ...overrides,
  };
  return new ForgejoForge({ id: 'codeberg', config, logger });
}
