/**
 * One JSON file per machine under the instance's data dir, written before the first host command
 * and removed only once teardown verified nothing remains. It holds what cannot be re-derived from
 * the job id (the address, the clone the storage handed out), so allocation and teardown survive a
 * restart.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Volume } from '@helios-ci/sdk';
import { ZONE_NAME } from './names.js';

export interface MachineRecord {
  zone: string;
  vnic: string;
  jobId: string;
  label: string;
  address: string;
  clone: Volume | null;
  createdAt: string;
}

export class MachineRecords {
  constructor(private readonly dir: string) {}

  private file(zone: string): string {
    if (!ZONE_NAME.test(zone)) throw new Error(`not a zone name: ${zone}`);
    return join(this.dir, `${zone}.json`);
  }

  write(record: MachineRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(record.zone)}.tmp`;
    writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    renameSync(tmp, this.file(record.zone));
  }

  read(zone: string): MachineRecord | null {
    try {
      return JSON.parse(readFileSync(this.file(zone), 'utf8')) as MachineRecord;
    } catch {
      return null;
    }
  }

  remove(zone: string): void {
    rmSync(this.file(zone), { force: true });
  }

  all(): MachineRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => n.endsWith('.json')).flatMap((n) => {
      const r = this.read(n.slice(0, -5));
      return r ? [r] : [];
    });
  }
}
