import { createServer, connect } from 'node:net';
import { doctorError, doctorOk, doctorWarning, type DoctorCheck } from '@helios-ci/sdk';
import { configuredAgentEndpoint, splitHostPort, type AgentServerConfig } from '../kernel/config/agentEndpoint.js';
import { dataDirHolder } from '../store/dataDirLock.js';

const CONNECT_TIMEOUT_MS = 3000;
const DEFAULT_LISTEN = '127.0.0.1:0';
const CONFIG_FIX = 'set server.agentListen to an address of this host and a fixed port (e.g. the etherstub gateway 10.77.0.1:9443, or 0.0.0.0:9443) and server.agentEndpoint to the host:port guests dial';

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** One TCP connect: null when it connects, else the error code. */
function tcpConnect(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    s.once('connect', () => {
      s.destroy();
      resolve(null);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(`no answer in ${CONNECT_TIMEOUT_MS / 1000} s`);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Binds and releases at once: null when the address is local and the port free, else the error code. */
function tryBind(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/**
 * The agent service's address (issue 12's server.agentListen / server.agentEndpoint): with serve
 * running (its serve.pid), a TCP connect to the advertised endpoint; without, whether serve could
 * bind agentListen here. With runtime-bhyve, a loopback endpoint is a warning: guests cannot dial it.
 */
export async function agentEndpointChecks(server: AgentServerConfig, dataDir: string, bhyveConfigured: boolean): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const listenText = server.agentListen ?? DEFAULT_LISTEN;
  const listen = splitHostPort(listenText);
  const advertised = configuredAgentEndpoint(server);
  const serve = dataDirHolder(dataDir);
  if (serve !== null) {
    if (advertised === null) {
      checks.push(doctorOk('agent endpoint', `helios serve (pid ${serve}) runs; it picked the agent port at start (server.agentListen ${listenText}), so it is not dialled`));
    } else {
      const { host, port } = splitHostPort(advertised);
      const failure = await tcpConnect(host, port);
      if (failure === null) checks.push(doctorOk('agent endpoint', `${advertised} accepts connections (helios serve pid ${serve})`));
      else checks.push(doctorError('agent endpoint', `${advertised} does not accept connections (${failure}) while helios serve (pid ${serve}) runs`, `make server.agentEndpoint an address that reaches server.agentListen (${listenText}) from this host: check the address, firewall (ipf) and NAT rules; then restart helios serve`));
    }
  } else {
    const failure = await tryBind(listen.host, listen.port);
    const where = `${listen.host}:${listen.port}`;
    if (failure === null) checks.push(doctorOk('agent listen', listen.port === 0 ? `${listen.host} is an address of this host; serve picks a free port at start` : `${where} is free and an address of this host`));
    else if (failure === 'EADDRINUSE') checks.push(doctorError('agent listen', `${where} is in use by another process (EADDRINUSE), and helios serve is not running`, `stop what holds port ${listen.port} (illumos: pfiles/netstat -an; Linux: ss -ltnp), or choose another port in server.agentListen (and server.agentEndpoint)`));
    else if (failure === 'EADDRNOTAVAIL' || failure === 'ENOTFOUND' || failure === 'EAI_AGAIN') checks.push(doctorError('agent listen', `${listen.host} is not an address of this host (${failure})`, `use an address of this host in server.agentListen (ipadm show-addr / ip addr), or 0.0.0.0:${listen.port}`));
    else if (failure === 'EACCES') checks.push(doctorError('agent listen', `no permission to bind ${where} (EACCES)`, 'use a port above 1023, or grant the helios user net_privaddr'));
    else checks.push(doctorError('agent listen', `cannot bind ${where} (${failure})`, CONFIG_FIX));
  }
  if (bhyveConfigured) {
    const guestHost = advertised ? splitHostPort(advertised).host : listen.host;
    if (isLoopback(guestHost)) checks.push(doctorWarning('agent endpoint for guests', `guests would dial ${advertised ?? `${listen.host} (server.agentListen ${listenText})`}, a loopback address of this host, which bhyve guests cannot reach`, CONFIG_FIX));
    else if (advertised === null) checks.push(doctorWarning('agent endpoint for guests', `server.agentListen ${listenText} has no fixed port, so guests learn it only at start and a restarted serve cannot be re-dialled`, CONFIG_FIX));
    else checks.push(doctorOk('agent endpoint for guests', `guests dial ${advertised}`));
  }
  return checks;
}
