/**
 * The illumos commands the runtime uses, as typed calls over a CommandRunner. "Already gone" answers
 * are not errors here: callers ask for the state and act on it, so a repeated teardown converges.
 */
import type { Commands } from './config.js';
import type { CommandResult, CommandRunner } from './commands.js';
import { bhyveErrors } from './errors.js';

export type ZoneState = 'configured' | 'incomplete' | 'installed' | 'ready' | 'running' | 'shutting_down' | 'down' | 'mounted';

export interface ZoneEntry {
  name: string;
  state: ZoneState;
  zonepath: string;
  brand: string;
}

/** `zoneadm list -cp` lines: zoneid:zonename:state:zonepath:uuid:brand:ip-type, `\:` escapes a colon. */
export function parseZoneList(text: string): ZoneEntry[] {
  const zones: ZoneEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(/(?<!\\):/).map((f) => f.replace(/\\:/g, ':'));
    if (fields.length < 6) continue;
    zones.push({ name: fields[1]!, state: fields[2] as ZoneState, zonepath: fields[3]!, brand: fields[5]! });
  }
  return zones;
}

export class Host {
  constructor(
    private readonly run: CommandRunner,
    private readonly commands: Commands,
  ) {}

  private async must(argv: string[], what: string, timeoutMs?: number): Promise<CommandResult> {
    const r = await this.run(argv, timeoutMs ? { timeoutMs } : undefined);
    if (r.code !== 0) {
      throw bhyveErrors.create('E_BHYVE_COMMAND_FAILED', `runtime-bhyve: ${what} failed (${argv.join(' ')} exited ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, { facts: { argv: argv.join(' '), code: r.code } });
    }
    return r;
  }

  zonecfg = (args: string[], what: string) => this.must([this.commands.zonecfg, ...args], what);
  zoneadm = (args: string[], what: string, timeoutMs?: number) => this.must([this.commands.zoneadm, ...args], what, timeoutMs);
  dladm = (args: string[], what: string) => this.must([this.commands.dladm, ...args], what);
  zfs = (args: string[], what: string) => this.must([this.commands.zfs, ...args], what);
  tryZfs = (args: string[]) => this.run([this.commands.zfs, ...args]);
  tryZoneadm = (args: string[], timeoutMs?: number) => this.run([this.commands.zoneadm, ...args], timeoutMs ? { timeoutMs } : undefined);
  tryZonecfg = (args: string[]) => this.run([this.commands.zonecfg, ...args]);
  tryDladm = (args: string[]) => this.run([this.commands.dladm, ...args]);

  async zones(): Promise<ZoneEntry[]> {
    return parseZoneList((await this.zoneadm(['list', '-cp'], 'listing zones')).stdout);
  }

  async zone(name: string): Promise<ZoneEntry | null> {
    return (await this.zones()).find((z) => z.name === name) ?? null;
  }

  async vnics(): Promise<string[]> {
    return (await this.dladm(['show-vnic', '-p', '-o', 'link'], 'listing VNICs')).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }
}
