/**
 * The agent endpoint the guests are told (helios.yaml server.agentEndpoint, or server.agentListen):
 * their firewall lets them reach exactly it, and ipf rules take an IPv4 address, never a name. Checked
 * when the runtime is built, so `helios config check` reports it rather than the first job.
 */
import type { Logger } from '@helios-ci/sdk';
import { bhyveErrors } from './errors.js';
import { parseEndpoint } from './ipfRules.js';

export function checkAgentEndpoint(instance: string, endpoint: string | null | undefined, logger?: Logger): void {
  if (!endpoint) {
    // Picked at start (port 0, 127.0.0.1): fine where guests share the host's network (the illumos
    // simulator); a real guest cannot reach the host's loopback.
    logger?.warn('server.agentEndpoint / server.agentListen are not set: guests are told 127.0.0.1 and a port picked at start, which a real bhyve guest cannot reach; set server.agentListen to the etherstub gateway address and a port', { runtime: instance });
    return;
  }
  try {
    parseEndpoint(endpoint);
  } catch (err) {
    throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve ${instance}: the agent endpoint ${JSON.stringify(endpoint)} (helios.yaml server.agentEndpoint, or server.agentListen) must be an IPv4 address:port its guests can reach, e.g. "10.77.0.1:7070": the guests' ipf rules take no names (${(err as Error).message})`, { cause: err });
  }
}
