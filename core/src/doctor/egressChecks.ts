import { createServer } from 'node:net';
import { doctorError, doctorOk, doctorWarning, type DoctorCheck } from '@helios-ci/sdk';
import { splitHostPort, type AgentServerConfig } from '../kernel/config/agentEndpoint.js';
import { dataDirHolder } from '../store/dataDirLock.js';

/** Binds and releases at once: null when the address is local and the port free, else the error code. */
function tryBind(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/**
 * The egress proxy's address (server.egressListen / egressEndpoint): without a running serve, whether
 * serve could bind it; with runtime-bhyve, a loopback address is a warning (guests cannot reach it,
 * so every download of their jobs would fail).
 */
export async function egressChecks(server: AgentServerConfig, dataDir: string, bhyveConfigured: boolean): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const listenText = server.egressListen ?? '127.0.0.1:0';
  const listen = splitHostPort(listenText);
  const serve = dataDirHolder(dataDir);
  if (serve !== null) checks.push(doctorOk('egress listen', `helios serve (pid ${serve}) runs and holds server.egressListen (${listenText})`));
  else {
    const failure = await tryBind(listen.host, listen.port);
    if (failure === null) checks.push(doctorOk('egress listen', listen.port === 0 ? `${listen.host} is an address of this host; serve picks a free port at start` : `${listenText} is free and an address of this host`));
    else if (failure === 'EADDRINUSE') checks.push(doctorError('egress listen', `${listenText} is in use by another process (EADDRINUSE), and helios serve is not running`, `stop what holds port ${listen.port}, or choose another port in server.egressListen (and server.egressEndpoint)`));
    else checks.push(doctorError('egress listen', `cannot bind ${listenText} (${failure})`, 'set server.egressListen to an address of this host (e.g. the etherstub gateway 10.77.0.1:3128)'));
  }
  const advertised = server.egressEndpoint ?? listenText;
  const host = splitHostPort(advertised).host;
  if (bhyveConfigured && (host === 'localhost' || host === '::1' || /^127\./.test(host))) {
    checks.push(doctorWarning('egress proxy for guests', `guests would be told to use the proxy at ${advertised}, a loopback address they cannot reach: their jobs could download nothing`, 'set server.egressListen to the etherstub gateway address (e.g. 10.77.0.1:3128), or server.egressEndpoint to the address guests reach it at'));
  }
  return checks;
}
