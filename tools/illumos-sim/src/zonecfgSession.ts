/**
 * One zonecfg run against one zone: applies commands (create, set, add/select … end, remove,
 * clear, verify, commit, delete, export, info, cancel, revert, exit) to a working copy of the
 * configuration, as zonecfg(8) does, and says when to commit or delete.
 */
import { SimError } from './simError.js';
import type { ZoneRecord } from './state.js';
import { GLOBAL_PROPS, REQUIRED_AT_END, RESOURCE_PROPS, emptyConfig, exportConfig, infoConfig, type PropValue, type Resource, type ZoneConfig } from './zoneConfig.js';
import type { Token } from './zonecfgLexer.js';

export const KNOWN_BRANDS = ['bhyve', 'kvm', 'ipkg', 'lipkg', 'sparse', 'pkgsrc', 'lx', 'illumos', 'emu'];
const ATTR_TYPES = ['boolean', 'int', 'uint', 'string'];

/** What the session asks its caller to do with the on-disk state. */
export interface SessionEffects {
  commit(config: ZoneConfig): void;
  delete(): void;
  /** Checks a net resource's physical link (for the shared-IP + VNIC refusal). */
  isVnic(link: string): boolean;
}

interface Scope {
  resource: Resource;
  /** Index of the selected resource being edited, or -1 for one being added. */
  index: number;
}

export class ZonecfgSession {
  private working: ZoneConfig | null;
  private scope: Scope | null = null;
  private dirty = false;
  private finished = false;
  readonly output: string[] = [];

  constructor(
    private readonly zone: string,
    private record: ZoneRecord | null,
    private readonly effects: SessionEffects,
  ) {
    this.working = record ? structuredClone(record.config) : null;
  }

  get done(): boolean {
    return this.finished;
  }

  /** End of input: an open resource scope is an error; pending changes are committed. */
  finish(): void {
    if (this.finished) return;
    if (this.scope) throw new SimError(`${this.scope.resource.type} resource not ended (missing 'end'); nothing committed`);
    if (this.dirty) this.commit();
    this.finished = true;
  }

  run(tokens: Token[]): void {
    const [cmd, ...args] = tokens;
    const name = cmd!.text;
    switch (name) {
      case 'create': return this.create(args);
      case 'set': return this.set(args);
      case 'clear': return this.clear(args);
      case 'add': return this.add(args);
      case 'select': return this.select(args);
      case 'remove': return this.remove(args);
      case 'end': return this.end(args);
      case 'cancel': return this.cancel();
      case 'verify': return this.verifyCmd(args);
      case 'commit': return this.commitCmd(args);
      case 'revert': return this.revert(args);
      case 'delete': return this.deleteCmd(args);
      case 'export': return this.exportCmd(args);
      case 'info': return this.info(args);
      case 'exit':
      case 'quit':
        return this.exit(args);
      default:
        throw new SimError(`syntax error: unknown command '${name}' (commands: create, set, clear, add, select, remove, end, cancel, verify, commit, revert, delete, export, info, exit)`);
    }
  }

  private noSuchZone(): SimError {
    return new SimError(`${this.zone}: No such zone configured\nUse 'create' to begin configuring a new zone.`);
  }

  private config(): ZoneConfig {
    if (!this.working) throw this.noSuchZone();
    return this.working;
  }

  private globalOnly(cmd: string): void {
    if (this.scope) throw new SimError(`${cmd} is not allowed in the ${this.scope.resource.type} resource scope; use 'end' or 'cancel' first`);
  }

  private create(args: Token[]): void {
    this.globalOnly('create');
    let force = false;
    let template = 'SYSdefault';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!.text;
      if (a === '-F') force = true;
      else if (a === '-b') template = 'SYSblank';
      else if (a === '-t' && args[i + 1]) template = args[++i]!.text;
      else throw new SimError(`create: usage: create [-F] [ -a path | -b | -t template ]; unexpected '${a}'`);
    }
    if (this.working && !force) throw new SimError(`${this.zone}: zone already exists; use 'create -F' to overwrite its configuration`);
    if (this.record && this.record.state !== 'configured') throw new SimError(`Zone ${this.zone} already installed; create not allowed.`);
    const config = emptyConfig(this.zone);
    if (template === 'SYSdefault') Object.assign(config.global, { brand: 'ipkg', 'ip-type': 'exclusive' });
    else if (template === 'bhyve' || template === 'kvm') Object.assign(config.global, { brand: template, 'ip-type': 'exclusive' });
    else if (template !== 'SYSblank') throw new SimError(`create: template '${template}' does not exist (templates: SYSdefault, SYSblank, bhyve, kvm)`);
    this.working = config;
    this.dirty = true;
  }

  /** Parses `prop=value` from tokens: [prop, =, value]. */
  private assignment(args: Token[], cmd: string): [string, PropValue] {
    if (args.length !== 3 || args[1]!.kind !== 'equals' || args[0]!.kind !== 'word' || args[2]!.kind === 'equals') {
      throw new SimError(`syntax error: usage: ${cmd} property-name=property-value (got '${args.map((t) => t.text).join(' ')}')`);
    }
    const v = args[2]!;
    return [args[0]!.text, v.kind === 'list' ? v.items! : v.text];
  }

  private set(args: Token[]): void {
    const config = this.config();
    const [prop, value] = this.assignment(args, 'set');
    if (this.scope) {
      const r = this.scope.resource;
      const spec = RESOURCE_PROPS[r.type]!;
      if (!spec.props.includes(prop)) throw new SimError(`${prop}: unknown property for resource type ${r.type} (properties: ${spec.props.join(', ')})`);
      if (Array.isArray(value) && !spec.lists?.includes(prop)) throw new SimError(`${r.type} ${prop}: a list value is not allowed here`);
      r.props[prop] = spec.lists?.includes(prop) && !Array.isArray(value) ? [value] : value;
      this.dirty = true;
      return;
    }
    if (Array.isArray(value)) throw new SimError(`${prop}: a list value is not allowed for a global property`);
    if (!(GLOBAL_PROPS as readonly string[]).includes(prop)) {
      throw new SimError(`${prop}: unknown property (global properties: ${GLOBAL_PROPS.join(', ')})`);
    }
    const installed = this.record !== null && this.record.state !== 'configured';
    switch (prop) {
      case 'zonename':
        throw new SimError(`zonename: renaming a zone is not supported by the simulator`);
      case 'zonepath':
        if (installed) throw new SimError(`Zone ${this.zone} already installed; set zonepath not allowed.`);
        if (!value.startsWith('/')) throw new SimError(`zonepath ${value}: must be an absolute path`);
        if (/\/\.\.?(\/|$)/.test(value) || value.includes(':')) throw new SimError(`zonepath ${value}: '.', '..' and ':' are not allowed in a zonepath`);
        break;
      case 'brand':
        if (installed) throw new SimError(`Zone ${this.zone} already installed; set brand not allowed.`);
        if (!KNOWN_BRANDS.includes(value)) throw new SimError(`brand '${value}': unknown brand (brands: ${KNOWN_BRANDS.join(', ')})`);
        break;
      case 'autoboot':
        if (value !== 'true' && value !== 'false') throw new SimError(`autoboot: invalid value '${value}' (true or false)`);
        break;
      case 'ip-type':
        if (value !== 'exclusive' && value !== 'shared') throw new SimError(`ip-type: invalid value '${value}' (exclusive or shared)`);
        break;
      default:
        if (prop.startsWith('max-') || prop === 'cpu-shares') {
          if (!/^\d+[KMGT]?$/.test(value)) throw new SimError(`${prop}: invalid value '${value}'`);
        }
    }
    config.global[prop] = value;
    this.dirty = true;
  }

  private clear(args: Token[]): void {
    const config = this.config();
    if (args.length !== 1) throw new SimError(`syntax error: usage: clear property-name`);
    const prop = args[0]!.text;
    if (this.scope) {
      if (!RESOURCE_PROPS[this.scope.resource.type]!.props.includes(prop)) throw new SimError(`${prop}: unknown property for resource type ${this.scope.resource.type}`);
      delete this.scope.resource.props[prop];
    } else {
      if (prop === 'zonepath' || prop === 'zonename' || prop === 'brand') throw new SimError(`${prop}: this property cannot be cleared`);
      if (!(GLOBAL_PROPS as readonly string[]).includes(prop)) throw new SimError(`${prop}: unknown property`);
      delete config.global[prop];
    }
    this.dirty = true;
  }

  private resourceType(token: Token | undefined, cmd: string): string {
    const t = token?.text;
    if (!t || !RESOURCE_PROPS[t]) throw new SimError(`${cmd}: unknown resource type '${t ?? ''}' (types: ${Object.keys(RESOURCE_PROPS).join(', ')})`);
    return t;
  }

  private add(args: Token[]): void {
    this.config();
    if (this.scope) {
      // Inside a resource: `add options ro` appends to a list property.
      const r = this.scope.resource;
      const spec = RESOURCE_PROPS[r.type]!;
      const prop = args[0]?.text ?? '';
      if (args.length !== 2 || !spec.lists?.includes(prop)) throw new SimError(`add: usage in the ${r.type} scope: add <list-property> <value>${spec.lists ? ` (list properties: ${spec.lists.join(', ')})` : ` (${r.type} has no list properties)`}`);
      const v = args[1]!;
      const current = (r.props[prop] as string[] | undefined) ?? [];
      r.props[prop] = [...current, ...(v.kind === 'list' ? v.items! : [v.text])];
      this.dirty = true;
      return;
    }
    if (args.length !== 1) throw new SimError(`add: usage: add <resource-type> (then set properties and 'end')`);
    const type = this.resourceType(args[0], 'add');
    if (['capped-memory', 'capped-cpu', 'dedicated-cpu'].includes(type) && this.config().resources.some((r) => r.type === type)) {
      throw new SimError(`add: a ${type} resource already exists; use 'select ${type}'`);
    }
    this.scope = { resource: { type, props: {} }, index: -1 };
  }

  /** Resources of a type matching `prop=value` selectors. */
  private matching(args: Token[], cmd: string): { type: string; indexes: number[] } {
    const type = this.resourceType(args[0], cmd);
    const selectors: [string, string][] = [];
    const rest = args.slice(1);
    for (let i = 0; i < rest.length; i += 3) {
      const [prop, value] = this.assignment(rest.slice(i, i + 3), `${cmd} ${type}`);
      if (!RESOURCE_PROPS[type]!.props.includes(prop)) throw new SimError(`${prop}: unknown property for resource type ${type}`);
      selectors.push([prop, Array.isArray(value) ? value.join(',') : value]);
    }
    const indexes: number[] = [];
    this.config().resources.forEach((r, i) => {
      if (r.type !== type) return;
      if (selectors.every(([p, v]) => (Array.isArray(r.props[p]) ? (r.props[p] as string[]).join(',') : r.props[p]) === v)) indexes.push(i);
    });
    return { type, indexes };
  }

  private select(args: Token[]): void {
    this.globalOnly('select');
    const { type, indexes } = this.matching(args, 'select');
    if (indexes.length === 0) throw new SimError(`select: No such ${type} resource with the given properties`);
    if (indexes.length > 1) throw new SimError(`select: More than one ${type} resource matches; give more properties to select one`);
    this.scope = { resource: structuredClone(this.config().resources[indexes[0]!]!), index: indexes[0]! };
  }

  private remove(args: Token[]): void {
    const config = this.config();
    if (this.scope) {
      const r = this.scope.resource;
      const prop = args[0]?.text ?? '';
      if (args.length !== 2 || !RESOURCE_PROPS[r.type]!.lists?.includes(prop)) throw new SimError(`remove: usage in the ${r.type} scope: remove <list-property> <value>`);
      const list = (r.props[prop] as string[] | undefined) ?? [];
      const v = args[1]!.text;
      if (!list.includes(v)) throw new SimError(`remove: ${prop} has no value '${v}'`);
      r.props[prop] = list.filter((x) => x !== v);
      this.dirty = true;
      return;
    }
    let force = false;
    if (args[0]?.text === '-F') {
      force = true;
      args = args.slice(1);
    }
    const { type, indexes } = this.matching(args, 'remove');
    if (indexes.length === 0) throw new SimError(`remove: No such ${type} resource with the given properties`);
    if (indexes.length > 1 && !force) throw new SimError(`remove: More than one ${type} resource matches; give more properties, or use 'remove -F ${type}' to remove them all`);
    config.resources = config.resources.filter((_, i) => !indexes.includes(i));
    this.dirty = true;
  }

  private end(args: Token[]): void {
    if (!this.scope) throw new SimError(`end: not in a resource scope`);
    if (args.length) throw new SimError(`end: takes no arguments`);
    const { resource, index } = this.scope;
    checkResource(resource);
    const config = this.config();
    const key = RESOURCE_PROPS[resource.type]!.key;
    if (key.length) {
      const clash = config.resources.find(
        (r, i) => i !== index && r.type === resource.type && key.some((k) => resource.props[k] !== undefined && r.props[k] === resource.props[k]),
      );
      if (clash) {
        const k = key.find((kk) => resource.props[kk] !== undefined && clash.props[kk] === resource.props[kk])!;
        throw new SimError(`A ${resource.type} resource with the ${k} '${String(resource.props[k])}' already exists.`);
      }
    }
    if (index >= 0) config.resources[index] = resource;
    else config.resources.push(resource);
    this.scope = null;
    this.dirty = true;
  }

  private cancel(): void {
    if (!this.scope) throw new SimError(`cancel: not in a resource scope`);
    this.scope = null;
  }

  private verifyCmd(args: Token[]): void {
    this.globalOnly('verify');
    if (args.length) throw new SimError(`verify: takes no arguments`);
    verifyConfig(this.zone, this.config(), this.effects);
  }

  private commit(): void {
    const config = this.config();
    verifyConfig(this.zone, config, this.effects);
    this.effects.commit(config);
    this.record = { ...(this.record ?? { name: this.zone, state: 'configured', uuid: '' }), config: structuredClone(config) };
    this.dirty = false;
  }

  private commitCmd(args: Token[]): void {
    this.globalOnly('commit');
    if (args.length) throw new SimError(`commit: takes no arguments`);
    this.commit();
  }

  private revert(args: Token[]): void {
    this.globalOnly('revert');
    if (args.length && args[0]!.text !== '-F') throw new SimError(`revert: usage: revert [-F]`);
    this.working = this.record ? structuredClone(this.record.config) : null;
    this.dirty = false;
  }

  private deleteCmd(args: Token[]): void {
    this.globalOnly('delete');
    const force = args.length === 1 && args[0]!.text === '-F';
    if (args.length > (force ? 1 : 0)) throw new SimError(`delete: usage: delete [-F]`);
    if (!this.record) throw this.noSuchZone();
    if (this.record.state !== 'configured') throw new SimError(`Zone ${this.zone} not in configured state (it is ${this.record.state}); delete not allowed. Uninstall it first.`);
    // Non-interactive: confirmation cannot be asked, so -F is required (as with zonecfg -f).
    if (!force) throw new SimError(`delete: confirmation needed; use 'delete -F' to delete zone ${this.zone} without asking`);
    this.effects.delete();
    this.record = null;
    this.working = null;
    this.dirty = false;
    this.finished = true;
  }

  private exportCmd(args: Token[]): void {
    this.globalOnly('export');
    if (args.length) throw new SimError(`export: the simulator prints to stdout only (export -f is not supported)`);
    this.output.push(exportConfig(this.config()));
  }

  private info(args: Token[]): void {
    const config = this.config();
    if (this.scope) {
      this.output.push(infoConfig({ global: {}, resources: [this.scope.resource] }, this.scope.resource.type));
      return;
    }
    const type = args[0] ? this.resourceType(args[0], 'info') : undefined;
    if (type === undefined && args.length === 0) {
      this.output.push(infoConfig(config));
      return;
    }
    this.output.push(infoConfig(config, type));
  }

  private exit(args: Token[]): void {
    const force = args[0]?.text === '-F';
    if (this.scope && !force) throw new SimError(`exit: ${this.scope.resource.type} resource not ended; use 'end' or 'cancel' first (or exit -F)`);
    if (!force && this.dirty) this.commit();
    this.scope = null;
    this.finished = true;
  }
}

/** Checks at `end` that a resource is complete and its values are well formed. */
function checkResource(r: Resource): void {
  for (const p of REQUIRED_AT_END[r.type] ?? []) {
    if (r.props[p] === undefined || r.props[p] === '') throw new SimError(`${r.type}: ${p} not specified`);
  }
  if (r.type === 'attr') {
    const name = String(r.props.name);
    const type = String(r.props.type);
    const value = String(r.props.value);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new SimError(`attr: invalid name '${name}'`);
    if (!ATTR_TYPES.includes(type)) throw new SimError(`attr ${name}: invalid type '${type}' (boolean, int, uint or string)`);
    if (type === 'boolean' && !/^(true|false)$/.test(value)) throw new SimError(`attr ${name}: '${value}' is not a boolean (true or false)`);
    if (type === 'int' && !/^-?\d+$/.test(value)) throw new SimError(`attr ${name}: '${value}' is not an int`);
    if (type === 'uint' && !/^\d+$/.test(value)) throw new SimError(`attr ${name}: '${value}' is not a uint`);
  }
  if (r.type === 'fs' && (!String(r.props.dir).startsWith('/'))) throw new SimError(`fs: dir ${String(r.props.dir)} must be an absolute path`);
  if (r.type === 'device' && !String(r.props.match).startsWith('/dev/')) throw new SimError(`device: match ${String(r.props.match)} must be a path under /dev`);
  if (r.type === 'net' && r.props['vlan-id'] !== undefined && !/^\d+$/.test(String(r.props['vlan-id']))) throw new SimError(`net: invalid vlan-id '${String(r.props['vlan-id'])}'`);
  if (r.type === 'net' && r.props.address === undefined && r.props.physical === undefined && r.props['global-nic'] === undefined) {
    throw new SimError(`net: physical not specified`);
  }
}

/** zonecfg `verify` (also run by commit): what makes a configuration incomplete or inconsistent. */
export function verifyConfig(zone: string, config: ZoneConfig, effects: Pick<SessionEffects, 'isVnic'>): void {
  const problems: string[] = [];
  if (!config.global.zonepath) problems.push(`zonepath not specified`);
  const exclusive = config.global['ip-type'] !== 'shared' && config.global['ip-type'] !== undefined;
  const brand = config.global.brand;
  if (brand === 'bhyve' && !exclusive) problems.push(`ip-type: bhyve zones need ip-type=exclusive (the VM gets its own link)`);
  for (const r of config.resources) {
    if (r.type !== 'net') continue;
    const physical = r.props.physical as string | undefined;
    if (exclusive) {
      if (r.props.address !== undefined) problems.push(`net: address cannot be specified for an exclusive IP type (use allowed-address)`);
      if (!physical && !r.props['global-nic']) problems.push(`net: physical not specified`);
    } else {
      if (r.props.address === undefined) problems.push(`net: address not specified`);
      if (!physical) problems.push(`net: physical not specified`);
      if (physical && effects.isVnic(physical)) problems.push(`net: physical ${physical} is a VNIC; a VNIC belongs to an exclusive-IP zone (set ip-type=exclusive)`);
      for (const p of ['allowed-address', 'defrouter', 'global-nic'] as const) {
        if (r.props[p] !== undefined) problems.push(`net: ${p} can only be specified for an exclusive IP type`);
      }
    }
  }
  if (problems.length) throw new SimError(problems.map((p) => `${zone}: ${p}`).join('\n') + `\n${zone}: Zone configuration verification failed.`);
}
