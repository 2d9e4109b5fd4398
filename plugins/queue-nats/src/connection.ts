import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { HeliosError } from '@helios-ci/sdk';

/** How to reach the NATS servers; secret values arrive already resolved from `{ secret | env | file }` refs. */
export interface NatsConnectionConfig {
  servers: string[];
  /** Name the connection shows in the server's monitoring (worker id or "helios-control"). */
  name?: string;
  user?: string;
  password?: string;
  token?: string;
  /** Contents of a NATS .creds file (JWT + nkey seed). */
  credentials?: string;
  /** PEM contents. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/**
 * Connects, retrying forever after a first success: a NATS restart must not stop control or a worker.
 * `once` (helios doctor): one attempt, no reconnects, so a check answers instead of waiting NATS out.
 */
export async function connectNats(c: NatsConnectionConfig, once?: { timeoutMs: number }): Promise<NatsConnection> {
  const opts: NodeConnectionOptions = {
    servers: c.servers,
    name: c.name ?? 'helios',
    ...(once ? { reconnect: false, timeout: once.timeoutMs } : { maxReconnectAttempts: -1, reconnectTimeWait: 250 }),
    ...(c.user !== undefined ? { user: c.user, pass: c.password ?? '' } : {}),
    ...(c.token !== undefined ? { token: c.token } : {}),
    ...(c.credentials !== undefined ? { authenticator: credsAuthenticator(new TextEncoder().encode(c.credentials)) } : {}),
    ...(c.tls ? { tls: { ...(c.tls.ca ? { ca: c.tls.ca } : {}), ...(c.tls.cert ? { cert: c.tls.cert } : {}), ...(c.tls.key ? { key: c.tls.key } : {}) } } : {}),
  };
  try {
    return await connect(opts);
  } catch (err) {
    // Never the options themselves: they carry the password, token or credentials.
    throw new HeliosError('E_QUEUE_UNREACHABLE', `queue-nats: cannot connect to NATS at ${c.servers.join(', ')}: ${(err as Error).message}; check config servers, that nats-server runs with JetStream (-js), and the credentials`, { retryable: true });
  }
}
