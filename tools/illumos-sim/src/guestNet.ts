/**
 * Preloaded into every Node process of a simulated guest (`NODE_OPTIONS=--import=<this file>`, set
 * by the VM when the zone loaded ipf rules): each outbound TCP connect is checked against the rules
 * (HELIOS_ILLUMOS_SIM_IPF, a JSON list) the way the global zone's ipf checks a bhyve guest's
 * packets. A blocked connect fails with ECONNREFUSED and a message naming ipf, as the guest would
 * see a dropped SYN after its timeout (here at once, so tests stay fast). UNIX sockets are local to
 * the guest and pass. Only Node processes are modelled: a `curl` in the guest is not filtered.
 */
import net from 'node:net';
import { decideOut } from './ipfModel.js';

const rules = JSON.parse(process.env.HELIOS_ILLUMOS_SIM_IPF ?? '[]') as string[];
const connect = net.Socket.prototype.connect;

type Target = { host: string; port: number } | null;

/** The TCP destination of a Socket#connect call (its public forms and Node's internal normalized array), or null for a UNIX path. */
function targetOf(args: unknown[]): Target {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { path?: string; host?: string; port?: number | string };
    if (o.path !== undefined) return null;
    return { host: o.host ?? 'localhost', port: Number(o.port) };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: Number(first) };
  }
  return null;
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const target = targetOf(args);
  if (target) {
    const host = target.host === 'localhost' ? '127.0.0.1' : target.host;
    const decision = decideOut(rules, host, target.port);
    if (!decision.allowed) {
      const err = Object.assign(new Error(`connect ECONNREFUSED ${host}:${target.port} (blocked by the zone's ipf rule "${decision.rule}")`), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: host, port: target.port });
      process.nextTick(() => this.destroy(err));
      return this;
    }
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
