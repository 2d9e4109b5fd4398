/**
 * Address ranges a name must not lead to unless the policy names them: loopback, private (RFC 1918,
 * unique local), link-local (the cloud metadata service lives at 169.254.169.254), CGNAT and the
 * unspecified addresses. Checked on the answers the proxy really connects to, so a public-looking
 * name pointing at the LAN is refused.
 */
import { BlockList, isIP } from 'node:net';

interface Range {
  cidr: string;
  kind: string;
}

const RANGES: readonly Range[] = [
  { cidr: '127.0.0.0/8', kind: 'loopback' },
  { cidr: '10.0.0.0/8', kind: 'private' },
  { cidr: '172.16.0.0/12', kind: 'private' },
  { cidr: '192.168.0.0/16', kind: 'private' },
  { cidr: '169.254.0.0/16', kind: 'link-local' },
  { cidr: '100.64.0.0/10', kind: 'shared (CGNAT)' },
  { cidr: '0.0.0.0/8', kind: 'unspecified' },
  { cidr: '::1/128', kind: 'loopback' },
  { cidr: '::/128', kind: 'unspecified' },
  { cidr: 'fc00::/7', kind: 'private (unique local)' },
  { cidr: 'fe80::/10', kind: 'link-local' },
];

const LISTS = RANGES.map((r) => ({ ...r, list: blockListOf([r.cidr]) }));

/** `a.b.c.d/n` or `v6/n` (a bare address is its own /32 or /128). */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address = '', bits] = text.split('/');
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

/** `::ffff:10.0.0.1` is 10.0.0.1 for every purpose here. */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/** The special range `address` is in (e.g. `127.0.0.0/8 (loopback)`), or null for a public address. */
export function specialRangeOf(address: string): string | null {
  const a = unmapped(address);
  const family = isIP(a) === 6 ? 'ipv6' : 'ipv4';
  for (const r of LISTS) if (r.list.check(a, family)) return `${r.cidr} (${r.kind})`;
  return null;
}

export function inList(list: BlockList, address: string): boolean {
  const a = unmapped(address);
  return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
}
