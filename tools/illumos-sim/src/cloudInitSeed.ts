/**
 * The NoCloud seed the bhyve brand writes at every boot (facts §7): `<zoneroot>/cloud-init/`
 * with meta-data (instance-id = zone uuid, local-hostname = zone name), user-data (a file's content
 * copied unchanged, or generated from sshkey/password for `on`) and network-config v2 (one
 * ethernet per net resource with allowed-address).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkRecord } from './state.js';
import { attrValue, type ZoneConfig } from './zoneConfig.js';

export type SeedKind = 'off' | 'on' | 'file' | 'url';

export interface Seed {
  kind: SeedKind;
  dir: string | null;
  url?: string;
}

export function writeSeed(zone: string, uuid: string, zonepath: string, config: ZoneConfig, links: LinkRecord[]): Seed {
  const value = attrValue(config, 'cloud-init') ?? 'off';
  const dir = join(zonepath, 'root', 'cloud-init');
  rmSync(dir, { recursive: true, force: true });
  if (value === 'off') return { kind: 'off', dir: null };
  if (/^https?:\/\//.test(value)) return { kind: 'url', dir: null, url: value };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'meta-data'), `instance-id: ${uuid}\nlocal-hostname: ${zone}\n`, { mode: 0o600 });
  let userData: string | Buffer;
  if (value === 'on') {
    const lines = ['#cloud-config'];
    const key = attrValue(config, 'sshkey');
    if (key) lines.push('ssh_authorized_keys:', `  - ${JSON.stringify(key.startsWith('/') ? readFileSync(key, 'utf8').trim() : key)}`);
    const password = attrValue(config, 'password');
    if (password) lines.push(`password: ${JSON.stringify(password)}`, 'chpasswd: { expire: false }');
    userData = lines.join('\n') + '\n';
  } else {
    userData = readFileSync(value);
  }
  writeFileSync(join(dir, 'user-data'), userData, { mode: 0o600 });
  const ethernets: string[] = [];
  config.resources
    .filter((r) => r.type === 'net' && r.props['allowed-address'])
    .forEach((r, i) => {
      const link = links.find((l) => l.name === r.props.physical);
      ethernets.push(`    net${i}:`, `      match: { macaddress: "${link?.macaddress ?? ''}" }`, `      addresses: [${String(r.props['allowed-address'])}]`);
      if (r.props.defrouter) ethernets.push(`      gateway4: ${String(r.props.defrouter)}`);
      const resolvers = attrValue(config, 'resolvers');
      if (resolvers) {
        ethernets.push(`      nameservers:`, `        addresses: [${resolvers}]`);
        const domain = attrValue(config, 'dns-domain');
        if (domain) ethernets.push(`        search: [${domain}]`);
      }
    });
  if (ethernets.length) writeFileSync(join(dir, 'network-config'), ['version: 2', 'ethernets:', ...ethernets].join('\n') + '\n', { mode: 0o600 });
  return { kind: value === 'on' ? 'on' : 'file', dir };
}
