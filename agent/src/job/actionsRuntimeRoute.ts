import type { ActionsRuntimeAccess } from '@helios-ci/sdk';

/**
 * The job's actions runtime URLs with their `host:port` replaced by the one this machine reaches
 * the services at. The server writes its own address into the spec; a sandboxed machine (private
 * network namespace) reaches it only through a relay on its loopback, which the runtime names in
 * the bootstrap file (`actionsEndpoint`). Path and query stay as the server wrote them.
 */
export function routeActionsRuntime(access: ActionsRuntimeAccess, endpoint: string): ActionsRuntimeAccess {
  const rebase = (url: string): string => {
    const u = new URL(url);
    u.host = endpoint;
    return u.toString();
  };
  return { ...access, resultsUrl: rebase(access.resultsUrl), cacheUrl: rebase(access.cacheUrl) };
}
