/** The job log line of one egress connection (stream `egress`): `egress | CONNECT crates.io:443 allowed 1.2 MB 340 ms`. */
import type { EgressConnection } from './egressGrants.js';

export function egressLine(c: EgressConnection): string {
  if (!c.allowed) return `egress | ${c.method} ${c.target} refused: ${c.reason ?? ''}`;
  return `egress | ${c.method} ${c.target} allowed ${formatBytes(c.bytes)} ${c.ms} ms${c.reason ? ` (${c.reason})` : ''}`;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}
