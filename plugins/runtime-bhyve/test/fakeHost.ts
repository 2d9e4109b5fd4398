/**
 * An in-memory stand-in for zonecfg/zoneadm/dladm/zfs behind a CommandRunner, for unit tests: it
 * records every argv, keeps the zone state machine and the VNICs, and refuses what illumos refuses
 * (boot of a zone that is not installed, delete of an installed zone, a VNIC on a missing etherstub).
 * The simulator-backed tests run the real grammar; this one checks what the runtime asks for.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Storage, StorageRef, Volume } from '@helios-ci/sdk';
import type { CommandResult, CommandRunner } from '../src/commands.js';
import type { Commands } from '../src/config.js';

export const COMMANDS: Commands = { zonecfg: '/sbin/zonecfg', zoneadm: '/sbin/zoneadm', dladm: '/sbin/dladm', zfs: '/sbin/zfs' };

interface FakeZone {
  state: 'configured' | 'installed' | 'running';
  zonepath: string;
  config: string;
}

export interface FakeHost {
  run: CommandRunner;
  calls: string[][];
  zones: Map<string, FakeZone>;
  vnics: Set<string>;
  etherstubs: Set<string>;
  snapshots: Set<string>;
  /** Set to make the next boots fail with this zone.log text. */
  bootFailure: string | null;
  /** Commands (joined argv substrings) that fail with exit 1. */
  refuse: string[];
  /** Console lines a booted zone writes to its socket once a client connects. */
  consoleLines: string[];
  close(): void;
}

const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
const fail = (stderr: string, code = 1): CommandResult => ({ code, stdout: '', stderr });

export function fakeHost(): FakeHost {
  const servers: Server[] = [];
  const h: FakeHost = {
    calls: [],
    zones: new Map(),
    vnics: new Set(),
    etherstubs: new Set(['helios0']),
    snapshots: new Set(['tank/ci/images/omnios@r151054']),
    bootFailure: null,
    refuse: [],
    consoleLines: ['Booting...', 'helios: starting the agent'],
    close: () => servers.forEach((s) => s.close()),
    run: async (argv) => {
      const a = [...argv];
      h.calls.push(a);
      const line = a.join(' ');
      if (h.refuse.some((r) => line.includes(r))) return fail(`${line}: refused by the test`);
      const [cmd, ...args] = a;
      if (cmd === COMMANDS.zonecfg) {
        const zone = args[1]!;
        if (args[2] === '-f') {
          if (h.zones.has(zone)) return fail(`${zone}: zone already exists`);
          const config = readFileSync(args[3]!, 'utf8');
          const zonepath = /set zonepath=(\S+)/.exec(config)![1]!;
          h.zones.set(zone, { state: 'configured', zonepath, config });
          return ok();
        }
        if (args[2] === 'delete') {
          const z = h.zones.get(zone);
          if (!z) return fail(`${zone}: No such zone configured`);
          if (z.state !== 'configured') return fail(`${zone}: zone is ${z.state}; uninstall it first`);
          h.zones.delete(zone);
          return ok();
        }
      }
      if (cmd === COMMANDS.zoneadm) {
        if (args[0] === 'list') {
          return ok([...h.zones].map(([name, z], i) => `${z.state === 'running' ? i + 1 : '-'}:${name}:${z.state}:${z.zonepath}:uuid-${i}:bhyve:excl\n`).join(''));
        }
        const zone = args[1]!;
        const z = h.zones.get(zone);
        if (!z) return fail(`zoneadm: ${zone}: No such zone configured`);
        switch (args[2]) {
          case 'install':
            if (z.state !== 'configured') return fail('zone is not configured');
            mkdirSync(join(z.zonepath, 'root', 'tmp'), { recursive: true, mode: 0o700 });
            z.state = 'installed';
            return ok();
          case 'boot': {
            if (z.state !== 'installed') return fail('zone is not installed');
            if (h.bootFailure !== null) {
              mkdirSync(join(z.zonepath, 'log'), { recursive: true });
              (await import('node:fs')).writeFileSync(join(z.zonepath, 'log', 'zone.log'), h.bootFailure);
              return fail(`zoneadm: zone '${zone}': call to zoneadmd failed`);
            }
            z.state = 'running';
            const lines = h.consoleLines;
            const server = createServer((socket) => socket.end(lines.map((l) => `${l}\r\n`).join('')));
            server.on('error', () => undefined);
            servers.push(server);
            // Like bhyve: the socket appears a moment after boot returns.
            setTimeout(() => server.listen(join(z.zonepath, 'root', 'tmp', 'vm.com1')), 30);
            return ok();
          }
          case 'halt':
            if (z.state !== 'running') return fail('zone is not running');
            z.state = 'installed';
            return ok();
          case 'uninstall':
            if (z.state !== 'installed') return fail('zone is not installed');
            z.state = 'configured';
            return ok();
        }
      }
      if (cmd === COMMANDS.dladm) {
        if (args[0] === 'show-vnic') return ok([...h.vnics].map((v) => `${v}\n`).join(''));
        if (args[0] === 'show-link') return h.etherstubs.has(args.at(-1)!) ? ok('etherstub\n') : h.vnics.has(args.at(-1)!) ? ok('vnic\n') : fail(`dladm: cannot show link ${args.at(-1)}: object not found`);
        if (args[0] === 'create-vnic') {
          const stub = args[args.indexOf('-l') + 1]!;
          const name = args.at(-1)!;
          if (!h.etherstubs.has(stub)) return fail(`dladm: invalid link name '${stub}'`);
          if (h.vnics.has(name)) return fail(`dladm: object already exists`);
          h.vnics.add(name);
          return ok();
        }
        if (args[0] === 'delete-vnic') return h.vnics.delete(args[1]!) ? ok() : fail(`dladm: invalid link name '${args[1]}'`);
      }
      if (cmd === COMMANDS.zfs) {
        if (args[0] === 'list' && args.includes('snapshot')) return h.snapshots.has(args.at(-1)!) ? ok(`${args.at(-1)}\n`) : fail(`cannot open '${args.at(-1)}': dataset does not exist`);
        if (args[0] === 'list') return fail(`cannot open '${args.at(-1)}': dataset does not exist`);
        if (args[0] === 'get') return ok('1073741824\n');
        if (args[0] === 'set') return ok();
      }
      return fail(`fake host: unexpected command ${line}`, 2);
    },
  };
  return h;
}

/** Image clones in memory, located where storage-zfs puts a zvol clone on illumos. */
export function fakeStorage(): Storage & { clones: Map<string, Volume>; calls: string[] } {
  const clones = new Map<string, Volume>();
  const calls: string[] = [];
  const unsupported = () => {
    throw new Error('not used by runtime-bhyve');
  };
  return {
    id: 'fake-zfs',
    clones,
    calls,
    async cloneImage(image, jobId) {
      calls.push(`clone ${image} ${jobId}`);
      const v: Volume = { id: `jobs/${jobId}-image`, kind: 'image-clone', location: `/dev/zvol/dsk/tank/ci/jobs/${jobId}-image`, jobId };
      clones.set(v.id, v);
      return v;
    },
    async release(v) {
      calls.push(`release ${v.id}`);
      clones.delete(v.id);
    },
    async list(): Promise<StorageRef[]> {
      return [...clones.values()].map((v) => ({ id: v.id, kind: v.kind, jobId: v.jobId }));
    },
    openWarm: unsupported,
    commitWarm: unsupported,
    writeBlob: unsupported,
    readBlob: unsupported,
    remove: async (ref) => {
      clones.delete(ref.id);
    },
  };
}
