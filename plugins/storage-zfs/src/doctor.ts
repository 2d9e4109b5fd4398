import { doctorError, doctorOk, doctorWarning, type DoctorCheck, type DoctorContext } from '@helios-ci/sdk';
import { ZfsCli, ZfsCommandError } from './zfsCli.js';

/** Below these the parent has too little room for job clones, caches and artifacts. */
export const ZFS_FREE_WARNING_BYTES = 2 * 1024 ** 3;
export const ZFS_FREE_ERROR_BYTES = 256 * 1024 ** 2;

interface DoctorConfig {
  parent: string;
  zfsCommand: string;
  zpoolCommand: string;
  images?: Record<string, { snapshot?: string }>;
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** `helios doctor` for ZFS storage: the commands, the pool, the parent dataset and its room, the images. */
export async function zfsDoctor(ctx: DoctorContext<DoctorConfig>): Promise<DoctorCheck[]> {
  const c = ctx.config;
  const cli = new ZfsCli({ zfsCommand: c.zfsCommand, zpoolCommand: c.zpoolCommand, busyRetries: 0, timeoutMs: 30_000 });
  const pool = c.parent.split('/')[0]!;
  const checks: DoctorCheck[] = [];
  try {
    await cli.zpool(['list', '-H', '-o', 'name', pool]);
    checks.push(doctorOk('pool', `${pool} is imported`));
  } catch (err) {
    const missing = err instanceof ZfsCommandError && err.failure === 'command-missing';
    checks.push(
      missing
        ? doctorError('pool', `${c.zpoolCommand} cannot be run: ${err.message}`, 'install ZFS (OmniOS has it; Debian: zfsutils-linux) or set zpoolCommand/zfsCommand')
        : doctorError('pool', `pool ${pool} is not imported: ${(err as Error).message.trim()}`, `import it (zpool import ${pool}) or fix parent in this plugin's config`),
    );
    return checks;
  }
  let available: number | null = null;
  try {
    const out = await cli.zfs(['get', '-Hp', '-o', 'value', 'available', c.parent]);
    available = Number(out.trim());
    checks.push(doctorOk('parent dataset', `${c.parent} exists`));
  } catch (err) {
    if (err instanceof ZfsCommandError && err.failure === 'not-found') {
      checks.push(doctorWarning('parent dataset', `${c.parent} does not exist; helios serve creates it`, `or create it now: zfs create -p ${c.parent}`));
      try {
        available = Number((await cli.zfs(['get', '-Hp', '-o', 'value', 'available', pool])).trim());
      } catch {
        available = null;
      }
    } else {
      checks.push(doctorError('parent dataset', (err as Error).message.trim(), 'see the message'));
    }
  }
  if (available !== null && Number.isFinite(available)) {
    const message = `${gib(available)} available under ${c.parent}`;
    if (available < ZFS_FREE_ERROR_BYTES) checks.push(doctorError('free space', message, `free space in pool ${pool} (helios cache prune; remove old image snapshots: helios image prune) or add a vdev`));
    else if (available < ZFS_FREE_WARNING_BYTES) checks.push(doctorWarning('free space', message, `free space in pool ${pool} (helios cache prune; helios image prune) or add a vdev`));
    else checks.push(doctorOk('free space', message));
  }
  for (const [name, image] of Object.entries(c.images ?? {})) {
    const dataset = `${c.parent}/images/${name}`;
    try {
      const out = await cli.zfs(['list', '-H', '-t', 'snapshot', '-o', 'name', '-s', 'creation', '-d', '1', dataset]);
      const snaps = out.split('\n').filter((s) => s.startsWith(`${dataset}@`)).map((s) => s.slice(dataset.length + 1));
      const wanted = image.snapshot ?? snaps.at(-1);
      if (wanted !== undefined && snaps.includes(wanted)) checks.push(doctorOk(`image ${name}`, `${dataset}@${wanted}`));
      else checks.push(doctorError(`image ${name}`, wanted === undefined ? `${dataset} has no snapshot` : `${dataset} has no snapshot ${wanted} (it has ${snaps.join(', ') || 'none'})`, `build it (helios image build --from ... --label ${name}) or snapshot it (zfs snapshot ${dataset}@<version>)`));
    } catch (err) {
      checks.push(doctorError(`image ${name}`, `${dataset} does not exist: ${(err as Error).message.trim()}`, `build it: helios image build --from <cloud image> --label ${name}`));
    }
  }
  return checks;
}
