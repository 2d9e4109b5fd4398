/**
 * Per-job IPv4 addresses from the configured subnet: the lowest host address that is not the
 * network, broadcast or gateway address and not held by a machine record. The records are on disk,
 * so the choice survives a restart.
 */
import { bhyveErrors } from './errors.js';

export interface Subnet {
  network: number;
  prefixLength: number;
}

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export function parseSubnet(cidr: string): Subnet {
  const [ip, len] = cidr.split('/');
  const prefixLength = Number(len);
  const size = 2 ** (32 - prefixLength);
  const network = toInt(ip!);
  if (network % size !== 0) throw bhyveErrors.create('E_BHYVE_CONFIG', `runtime-bhyve: network.subnet ${cidr} has host bits set; did you mean ${toIp(network - (network % size))}/${prefixLength}?`);
  return { network, prefixLength };
}

export function inSubnet(s: Subnet, ip: string): boolean {
  const size = 2 ** (32 - s.prefixLength);
  const n = toInt(ip);
  return n > s.network && n < s.network + size - 1;
}

export function allocateAddress(s: Subnet, gateway: string, taken: Iterable<string>): string {
  const used = new Set([...taken, gateway]);
  const size = 2 ** (32 - s.prefixLength);
  for (let n = s.network + 1; n < s.network + size - 1; n++) {
    const ip = toIp(n);
    if (!used.has(ip)) return ip;
  }
  throw bhyveErrors.create('E_BHYVE_CAPACITY', `runtime-bhyve: every address of ${toIp(s.network)}/${s.prefixLength} is in use; wait for jobs to finish or use a bigger subnet`);
}
