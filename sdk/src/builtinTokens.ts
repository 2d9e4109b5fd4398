import { defineToken } from './tokens.js';
import type { Forge } from './interfaces/forge.js';
import type { Runtime } from './interfaces/runtime.js';
import type { Storage } from './interfaces/storage.js';
import type { Secrets } from './interfaces/secrets.js';
import type { Queue } from './interfaces/queue.js';

/** Every configured forge instance. */
export const ForgeToken = defineToken<Forge>('forge', { multiple: true });
/** Every configured runtime; a job goes to the one serving its runs-on labels. */
export const RuntimeToken = defineToken<Runtime>('runtime', { multiple: true });
/** At most one storage backend. */
export const StorageToken = defineToken<Storage>('storage');
/** Exactly one secrets backend. */
export const SecretsToken = defineToken<Secrets>('secrets');
/** At most one queue; the in-process queue applies when none is configured. */
export const QueueToken = defineToken<Queue>('queue');

/** The kinds `helios plugins list` shows, by token name. */
export const INTERFACE_TOKENS = [ForgeToken, RuntimeToken, StorageToken, SecretsToken, QueueToken] as const;
