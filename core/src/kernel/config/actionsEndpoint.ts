/**
 * server.actionsListen (what the actions runtime service binds: the cache and artifact APIs
 * toolkit-based actions call) and server.actionsEndpoint (the host:port job steps are told, in
 * ACTIONS_RESULTS_URL / ACTIONS_CACHE_URL). The rules are agentListen/agentEndpoint's.
 */
import { splitHostPort } from './agentEndpoint.js';
import type { ConfigProblem } from './problems.js';
import type { PositionOf } from './validate.js';

export interface ActionsServerConfig {
  agentListen?: string;
  agentEndpoint?: string;
  actionsListen?: string;
  actionsEndpoint?: string;
}

export function actionsEndpointProblems(server: ActionsServerConfig, positionOf: PositionOf): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (key: 'actionsListen' | 'actionsEndpoint', message: string) => problems.push({ path: `server.${key}`, message, ...positionOf(['server', key]) });
  const listen = server.actionsListen !== undefined ? splitHostPort(server.actionsListen) : null;
  if (listen && listen.port > 65535) at('actionsListen', `port ${listen.port} is over 65535; use a port from 1 to 65535 (0 picks a free one)`);
  if (listen && listen.port !== 0 && server.agentListen && splitHostPort(server.agentListen).port === listen.port) {
    at('actionsListen', `port ${listen.port} is server.agentListen's too; the actions runtime service needs a port of its own`);
  }
  if (server.actionsEndpoint !== undefined) {
    const advertised = splitHostPort(server.actionsEndpoint);
    if (advertised.port === 0 || advertised.port > 65535) at('actionsEndpoint', `port ${advertised.port} is not one job steps can dial; use the port of server.actionsListen (1 to 65535)`);
    if (advertised.host === '0.0.0.0') at('actionsEndpoint', "0.0.0.0 is not an address job steps can dial; use the address of the interface they reach (e.g. the etherstub's gateway address, as in server.agentEndpoint)");
    if (!listen || listen.port === 0) at('actionsEndpoint', 'is set but server.actionsListen is not a fixed port, so the advertised port could not be the bound one; set server.actionsListen: "<address>:<port>"');
  }
  return problems;
}

/** The address to bind: actionsListen, else agentListen's host (the interface machines reach) with a free port. */
export function actionsListenOf(server: ActionsServerConfig, agentHost: string): { host: string; port: number } {
  return server.actionsListen ? splitHostPort(server.actionsListen) : { host: agentHost, port: 0 };
}

/** The host:port steps dial: actionsEndpoint, else agentEndpoint's host with the bound port (null: the bound address). */
export function actionsAdvertiseOf(server: ActionsServerConfig): { advertise?: string; advertiseHost?: string } {
  if (server.actionsEndpoint) return { advertise: server.actionsEndpoint };
  if (server.agentEndpoint) return { advertiseHost: splitHostPort(server.agentEndpoint).host };
  return {};
}
