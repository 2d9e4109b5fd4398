/**
 * The simulator's `zfs`: the real zfs (zfs-fuse) with zvols emulated on real filesystems.
 *   create -V SIZE [-s] [-b BS] [-o p=v] NAME → a filesystem with illumos-sim:volsize=SIZE
 *   clone SNAP NAME        → the clone of a volume's snapshot is a volume (volsize copied)
 *   set volsize=SIZE NAME  → recorded on a volume; refused on a filesystem, as illumos does
 *   get / list             → type `volume`, `volsize`, and mountpoint/mounted `-` for those datasets;
 *                            `-t volume|filesystem` filter accordingly
 *   destroy                → fault `destroy-busy` answers "dataset is busy"
 * Everything else goes to the real zfs unchanged. Clone, snapshot and destroy stay real ZFS.
 */
import { takeFault } from './faults.js';
import { SimState } from './state.js';
import { VOLSIZE_PROP, runZfs } from './realZfs.js';

export interface ShimResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SIZE = /^\d+(\.\d+)?[KMGTPE]?B?$/i;

export async function zfsShim(args: string[], stateFactory: () => SimState | null = defaultState): Promise<ShimResult> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest);
    case 'clone':
      return clone(rest);
    case 'set':
      return set(rest);
    case 'get':
      return get(rest);
    case 'list':
      return list(rest);
    case 'destroy':
      return destroy(rest, stateFactory);
    default:
      return runZfs(args);
  }
}

function defaultState(): SimState | null {
  return process.env.HELIOS_ILLUMOS_SIM_STATE ? new SimState() : null;
}

async function volumes(): Promise<Map<string, string>> {
  const r = await runZfs(['list', '-H', '-t', 'filesystem', '-o', `name,${VOLSIZE_PROP}`]);
  const out = new Map<string, string>();
  if (r.code !== 0) return out;
  for (const line of r.stdout.split('\n')) {
    const [name, size] = line.split('\t');
    if (name && size && size !== '-') out.set(name, size);
  }
  return out;
}

async function create(rest: string[]): Promise<ShimResult> {
  const i = rest.indexOf('-V');
  if (i < 0) return runZfs(['create', ...rest]);
  const size = rest[i + 1];
  if (!size || !SIZE.test(size)) return { code: 2, stdout: '', stderr: `bad volume size '${size ?? ''}'\nusage:\n\tcreate [-ps] [-b blocksize] [-o property=value] ... -V <size> <volume>\n` };
  const passed: string[] = [];
  for (let k = 0; k < rest.length; k++) {
    if (k === i) {
      k++;
      continue;
    }
    const a = rest[k]!;
    if (a === '-s') continue; // sparse: every emulated volume is
    if (a === '-b') {
      k++;
      continue;
    }
    if (a === '-o' && /^(volblocksize|volmode|refreservation|reservation)=/.test(rest[k + 1] ?? '')) {
      k++;
      continue;
    }
    passed.push(a);
  }
  return runZfs(['create', '-o', `${VOLSIZE_PROP}=${size}`, ...passed]);
}

async function clone(rest: string[]): Promise<ShimResult> {
  const snapshot = rest.find((a) => a.includes('@'));
  if (snapshot) {
    const origin = snapshot.slice(0, snapshot.indexOf('@'));
    const size = (await volumes()).get(origin);
    if (size) return runZfs(['clone', '-o', `${VOLSIZE_PROP}=${size}`, ...rest]);
  }
  return runZfs(['clone', ...rest]);
}

async function set(rest: string[]): Promise<ShimResult> {
  const assignments = rest.filter((a) => a.includes('='));
  const targets = rest.filter((a) => !a.includes('=') && !a.startsWith('-'));
  const vol = assignments.find((a) => a.startsWith('volsize='));
  if (!vol) return runZfs(['set', ...rest]);
  const size = vol.slice('volsize='.length);
  const vols = await volumes();
  for (const t of targets) {
    if (!vols.has(t)) {
      const exists = await runZfs(['list', '-H', '-o', 'name', t]);
      if (exists.code !== 0) return exists;
      return { code: 1, stdout: '', stderr: `cannot set property for '${t}': 'volsize' does not apply to datasets of this type\n` };
    }
    if (!SIZE.test(size)) return { code: 1, stdout: '', stderr: `cannot set property for '${t}': bad numeric value '${size}'\n` };
  }
  const others = assignments.filter((a) => a !== vol);
  for (const t of targets) {
    const r = await runZfs(['set', `${VOLSIZE_PROP}=${size}`, t]);
    if (r.code !== 0) return r;
  }
  return others.length ? runZfs(['set', ...others, ...targets]) : { code: 0, stdout: '', stderr: '' };
}

/** Options of get/list: flags, valued options and operands. */
function parseOpts(rest: string[], valued: string[]): { flags: Set<string>; values: Map<string, string>; operands: string[] } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: string[] = [];
  for (let k = 0; k < rest.length; k++) {
    const a = rest[k]!;
    if (/^-[A-Za-z]+$/.test(a) && operands.length === 0) {
      for (let c = 1; c < a.length; c++) {
        const letter = a[c]!;
        if (valued.includes(letter)) {
          const v = a.slice(c + 1) || rest[++k];
          values.set(letter, v ?? '');
          break;
        }
        flags.add(letter);
      }
    } else operands.push(a);
  }
  return { flags, values, operands };
}

function translateTypes(types: string | undefined): { real: string | undefined; wantFs: boolean; wantVol: boolean } {
  if (!types) return { real: undefined, wantFs: true, wantVol: true };
  const list = types.split(',');
  const all = list.includes('all');
  const wantFs = all || list.includes('filesystem');
  const wantVol = all || list.includes('volume');
  const real = new Set(list.map((t) => (t === 'volume' ? 'filesystem' : t)));
  return { real: [...real].join(','), wantFs, wantVol };
}

function rewrite(name: string, prop: string, value: string, vols: Map<string, string>): string {
  const base = name.split('@')[0]!;
  const isVol = vols.has(base) && !name.includes('@');
  if (prop === 'type' && isVol) return 'volume';
  if (prop === 'volsize') return vols.get(base) ?? '-';
  if ((prop === 'mountpoint' || prop === 'mounted') && isVol) return '-';
  if (prop === VOLSIZE_PROP) return value;
  return value;
}

function format(rows: string[][], headers: string[], scripted: boolean): string {
  if (scripted) return rows.map((r) => r.join('\t') + '\n').join('');
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((x, c) => (c === cells.length - 1 ? x : x.padEnd(widths[c]!))).join('  ') + '\n';
  return line(headers) + rows.map(line).join('');
}

async function get(rest: string[]): Promise<ShimResult> {
  const o = parseOpts(rest, ['o', 's', 't', 'd']);
  const [propSpec, ...datasets] = o.operands;
  if (!propSpec) return runZfs(['get', ...rest]);
  const props = propSpec.split(',');
  const realProps = props.map((p) => (p === 'volsize' ? VOLSIZE_PROP : p)).join(',');
  const { real: realTypes, wantFs, wantVol } = translateTypes(o.values.get('t'));
  const args = ['get', '-H', '-o', 'name,property,value,source'];
  for (const f of o.flags) if (f === 'r' || f === 'p') args.push(`-${f}`);
  if (o.values.has('d')) args.push('-d', o.values.get('d')!);
  if (o.values.has('s')) args.push('-s', o.values.get('s')!);
  if (realTypes) args.push('-t', realTypes);
  const r = await runZfs([...args, realProps, ...datasets]);
  if (r.code !== 0) return r;
  const vols = await volumes();
  const columns = (o.values.get('o') ?? 'name,property,value,source').split(',');
  const rows: string[][] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [name, prop0, value, source] = line.split('\t') as [string, string, string, string];
    const isVol = vols.has(name);
    if (!name.includes('@') && ((isVol && !wantVol) || (!isVol && !wantFs))) continue;
    const prop = prop0 === VOLSIZE_PROP && props.includes('volsize') ? 'volsize' : prop0;
    const v = rewrite(name, prop, value, vols);
    const cells: Record<string, string> = { name, property: prop, value: v, source: prop === 'volsize' ? (v === '-' ? '-' : 'local') : v !== value ? '-' : source, received: '-' };
    rows.push(columns.map((c) => cells[c] ?? '-'));
  }
  return { code: 0, stdout: format(rows, columns.map((c) => c.toUpperCase()), o.flags.has('H')), stderr: r.stderr };
}

async function list(rest: string[]): Promise<ShimResult> {
  const o = parseOpts(rest, ['o', 's', 'S', 't', 'd']);
  const columns = (o.values.get('o') ?? 'name,used,avail,refer,mountpoint').split(',');
  const { real: realTypes, wantFs, wantVol } = translateTypes(o.values.get('t'));
  const realColumns = ['name', ...columns.map((c) => (c === 'volsize' ? VOLSIZE_PROP : c))];
  const args = ['list', '-H', '-o', realColumns.join(',')];
  for (const f of o.flags) if (f === 'r' || f === 'p') args.push(`-${f}`);
  for (const k of ['d', 's', 'S']) if (o.values.has(k)) args.push(`-${k}`, o.values.get(k) === 'volsize' ? VOLSIZE_PROP : o.values.get(k)!);
  if (realTypes) args.push('-t', realTypes);
  const r = await runZfs([...args, ...o.operands]);
  if (r.code !== 0) return r;
  const vols = await volumes();
  const rows: string[][] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const [name, ...cells] = line.split('\t') as [string, ...string[]];
    const isVol = vols.has(name);
    if (!name.includes('@') && ((isVol && !wantVol) || (!isVol && !wantFs))) continue;
    rows.push(columns.map((c, k) => rewrite(name, c, cells[k] ?? '-', vols)));
  }
  return { code: 0, stdout: format(rows, columns.map((c) => c.toUpperCase()), o.flags.has('H')), stderr: r.stderr };
}

async function destroy(rest: string[], stateFactory: () => SimState | null): Promise<ShimResult> {
  const target = rest.filter((a) => !a.startsWith('-')).at(-1);
  const state = stateFactory();
  if (target && state) {
    const fault = await state.locked(() => takeFault(state, 'destroy-busy', target));
    if (fault) return { code: 1, stdout: '', stderr: `cannot destroy '${target}': dataset is busy\n` };
  }
  return runZfs(['destroy', ...rest]);
}

