/**
 * server.agentListen (what the agent gRPC service binds) and server.agentEndpoint (the host:port
 * guests are told to dial, e.g. the address of a NAT'd private network). Beyond their pattern:
 * ports in range, an advertised port that is fixed and can be the bound one.
 */
import type { ConfigProblem } from './problems.js';
import type { PositionOf } from './validate.js';

export interface AgentServerConfig {
  agentListen?: string;
  agentEndpoint?: string;
  egressListen?: string;
  egressEndpoint?: string;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` as the schema's pattern admits it (no IPv6 brackets). */
export function splitHostPort(value: string): HostPort {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
}

export function agentEndpointProblems(server: AgentServerConfig, positionOf: PositionOf): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (key: keyof AgentServerConfig, message: string) => problems.push({ path: `server.${key}`, message, ...positionOf(['server', key]) });
  const listen = server.agentListen !== undefined ? splitHostPort(server.agentListen) : null;
  if (listen && listen.port > 65535) at('agentListen', `port ${listen.port} is over 65535; use a port from 1 to 65535 (0 picks a free one)`);
  if (server.agentEndpoint !== undefined) {
    const advertised = splitHostPort(server.agentEndpoint);
    if (advertised.port === 0 || advertised.port > 65535) at('agentEndpoint', `port ${advertised.port} is not one guests can dial; use the port of server.agentListen (1 to 65535)`);
    if (advertised.host === '0.0.0.0') at('agentEndpoint', '0.0.0.0 is not an address guests can dial; use the address of the interface they reach (e.g. the etherstub\'s gateway address)');
    if (!listen || listen.port === 0) at('agentEndpoint', 'is set but server.agentListen is not a fixed port, so the advertised port could not be the bound one; set server.agentListen: "<address>:<port>"');
  }
  // The egress proxy's pair follows the same rules.
  const egressListen = server.egressListen !== undefined ? splitHostPort(server.egressListen) : null;
  if (egressListen && egressListen.port > 65535) at('egressListen', `port ${egressListen.port} is over 65535; use a port from 1 to 65535 (0 picks a free one)`);
  if (server.egressEndpoint !== undefined) {
    const advertised = splitHostPort(server.egressEndpoint);
    if (advertised.port === 0 || advertised.port > 65535) at('egressEndpoint', `port ${advertised.port} is not one machines can dial; use the port of server.egressListen (1 to 65535)`);
    if (advertised.host === '0.0.0.0') at('egressEndpoint', "0.0.0.0 is not an address machines can dial; use the address of the interface they reach (e.g. the etherstub's gateway address)");
    if (!egressListen || egressListen.port === 0) at('egressEndpoint', 'is set but server.egressListen is not a fixed port, so the advertised port could not be the bound one; set server.egressListen: "<address>:<port>"');
  }
  return problems;
}

/**
 * The host:port guests will be told, when helios.yaml fixes it (server.agentEndpoint, or
 * server.agentListen with a fixed port); null when the port is picked at start.
 */
export function configuredAgentEndpoint(server: AgentServerConfig): string | null {
  if (server.agentEndpoint) return server.agentEndpoint;
  if (!server.agentListen) return null;
  const { host, port } = splitHostPort(server.agentListen);
  return port === 0 ? null : `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}
