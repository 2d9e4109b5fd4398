import type { Logger } from '@helios-ci/sdk';
import { splitHostPort } from '../kernel/config/agentEndpoint.js';
import type { HeliosConfig } from '../kernel/config/schema.js';
import { EgressService } from './egressService.js';

/** The egress service as helios.yaml configures it (server.egressListen/egressEndpoint, egress.hosts). */
export function egressServiceFor(config: HeliosConfig, logger: Logger): EgressService {
  const listen = config.server.egressListen ? splitHostPort(config.server.egressListen) : { host: '127.0.0.1', port: 0 };
  return new EgressService({
    host: listen.host,
    port: listen.port,
    ...(config.server.egressEndpoint ? { advertise: config.server.egressEndpoint } : {}),
    hosts: config.egress.hosts,
    onWarning: (message, fields) => logger.warn(message, fields),
  });
}
