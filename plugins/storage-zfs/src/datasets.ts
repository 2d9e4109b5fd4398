/**
 * The zfs operations ZfsStorage builds on, each turning failures into HeliosErrors that say what to
 * do: properties, destroy ("does not exist" is done), unmount, mountpoints (mounting on demand), the
 * areas under the parent.
 */
import { HeliosError } from '@helios-ci/sdk';
import type { Area } from './layout.js';
import { ZfsCli, ZfsCommandError, type ZfsFailure } from './zfsCli.js';
import { zfsError } from './zfsErrors.js';

export interface DatasetProps {
  type: string;
  mountpoint: string;
  mounted: string;
  origin: string;
  [prop: string]: string;
}

const BASE_PROPS = ['type', 'mountpoint', 'mounted', 'origin'] as const;

export class Datasets {
  private readonly knownAreas = new Set<Area>();

  constructor(
    readonly cli: ZfsCli,
    readonly parent: string,
    private readonly zfsCommand: string,
    private readonly platform: NodeJS.Platform,
  ) {}

  ds(rel: string): string {
    return `${this.parent}/${rel}`;
  }

  fail(err: unknown, doing: string, dataset?: string): HeliosError {
    return zfsError(err, { doing, ...(dataset ? { dataset } : {}), zfsCommand: this.zfsCommand });
  }

  async run(args: string[], doing: string, dataset?: string): Promise<string> {
    try {
      return await this.cli.zfs(args);
    } catch (err) {
      throw this.fail(err, doing, dataset);
    }
  }

  async runRetryingBusy(args: string[], doing: string, dataset?: string): Promise<string> {
    try {
      return await this.cli.zfsRetryingBusy(args);
    } catch (err) {
      throw this.fail(err, doing, dataset);
    }
  }

  /** Destroys a dataset; "does not exist" is done. Returns whether there was one. */
  async destroy(dataset: string, opts: { recursive: boolean }, doing: string): Promise<boolean> {
    try {
      await this.cli.zfsRetryingBusy(['destroy', ...(opts.recursive ? ['-r'] : []), dataset]);
      return true;
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return false;
      throw this.fail(err, doing, dataset);
    }
  }

  async unmount(dataset: string, doing: string): Promise<void> {
    try {
      await this.cli.zfsRetryingBusy(['umount', dataset]);
    } catch (err) {
      const ok: ZfsFailure[] = ['not-mounted'];
      if (!(err instanceof ZfsCommandError && ok.includes(err.failure))) throw this.fail(err, doing, dataset);
    }
  }

  /** The dataset's properties, or null when it does not exist. */
  async props(dataset: string, extra: string[] = []): Promise<DatasetProps | null> {
    let out: string;
    try {
      out = await this.cli.zfs(['get', '-H', '-p', '-o', 'property,value', [...BASE_PROPS, ...extra].join(','), dataset]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.failure === 'not-found') return null;
      throw this.fail(err, `reading properties of ${dataset}`, dataset);
    }
    const props: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const tab = line.indexOf('\t');
      if (tab > 0) props[line.slice(0, tab)] = line.slice(tab + 1);
    }
    return props as DatasetProps;
  }

  /** Where a volume is found: a zvol's device, or a filesystem's mountpoint. */
  async locationOf(dataset: string): Promise<string> {
    const props = await this.props(dataset);
    if (props?.type === 'volume') {
      const platform = this.platform ?? process.platform;
      return platform === 'sunos' ? `/dev/zvol/dsk/${dataset}` : `/dev/zvol/${dataset}`;
    }
    return this.mountpointOf(dataset, props ?? undefined);
  }

  /** A filesystem's mountpoint, mounting it when it is not (after an import or a daemon restart). */
  async mountpointOf(dataset: string, known?: DatasetProps): Promise<string> {
    const props = known ?? (await this.props(dataset));
    if (!props) throw new HeliosError('E_STORAGE_FAILED', `storage-zfs: dataset ${dataset} disappeared while in use; try again`);
    if (!props.mountpoint.startsWith('/')) {
      throw new HeliosError('E_STORAGE_CONFIG', `storage-zfs: ${dataset} has mountpoint "${props.mountpoint}"; give the parent dataset a mountpoint (zfs set mountpoint=/var/helios/zfs ${this.parent})`, { facts: { dataset } });
    }
    if (props.mounted !== 'yes') await this.runRetryingBusy(['mount', dataset], `mounting ${dataset}`, dataset);
    return props.mountpoint;
  }

  async ensureArea(area: Area): Promise<void> {
    if (this.knownAreas.has(area)) return;
    try {
      await this.cli.zfs(['create', '-p', this.ds(area)]);
    } catch (err) {
      // `create -p` is not atomic: a concurrent call may have created it between its check and create.
      if (!(err instanceof ZfsCommandError && err.failure === 'exists')) throw this.fail(err, `creating ${this.ds(area)}`, this.ds(area));
    }
    this.knownAreas.add(area);
  }
}
