import { isHeliosError, type JobPlan, type Runtime } from '@helios-ci/sdk';

/** Where the orchestrator says what happened (the job log). */
interface SystemLog {
  system(text: string): void;
}

const what = (err: unknown) => `${isHeliosError(err) ? `${err.code}: ` : ''}${(err as Error).message}`;

/**
 * vmactions `cache-after-prepare` for one job attempt. When the runtime holds the prepared snapshot
 * the job's plan names, the machine starts from it (`MachineSpec.prepared`) and the prepare step is
 * skipped (`if: false`, so it is reported skipped). Otherwise, once the prepare step succeeds, the
 * running machine's disk is kept as that snapshot (`Runtime.prepared.keep`); the job goes on meanwhile,
 * and the machine is destroyed only after the snapshot is taken (`settled`).
 */
export class PreparedStart {
  private keeping: Promise<void> | null = null;

  private constructor(
    /** The plan the agent gets: the prepare step disabled on a hit. */
    readonly plan: JobPlan,
    /** `MachineSpec.prepared` on a hit. */
    readonly prepared: string | null,
    private readonly keep: (() => Promise<void>) | null,
    private readonly prepareStep: string | null,
  ) {}

  static async open(runtime: Runtime, label: string, jobId: string, plan: JobPlan, log: SystemLog): Promise<PreparedStart> {
    const cache = plan.vmactions?.cacheAfterPrepare;
    if (!cache) return new PreparedStart(plan, null, null, null);
    const snapshots = runtime.prepared;
    if (!snapshots) {
      log.system(`Helios: cache-after-prepare: runtime ${runtime.id} keeps no prepared snapshots; prepare runs in every job`);
      return new PreparedStart(plan, null, null, null);
    }
    let hit = false;
    try {
      hit = await snapshots.has(label, cache.key);
    } catch (err) {
      log.system(`Helios: cache-after-prepare: could not look up the prepared snapshot (${what(err)}); running prepare`);
    }
    if (hit) {
      const step = plan.steps.find((s) => s.id === cache.prepareStep);
      log.system(`Helios: cache-after-prepare: starting from the snapshot taken after prepare (${label}, ${cache.key}); "${step?.name ?? cache.prepareStep}" is skipped`);
      const steps = plan.steps.map((s) => (s.id === cache.prepareStep ? { ...s, if: 'false' } : s));
      return new PreparedStart({ ...plan, steps }, cache.key, null, null);
    }
    const keep = async () => {
      try {
        await snapshots.keep(jobId, cache.key);
        log.system(`Helios: cache-after-prepare: snapshotted the machine after prepare (${label}, ${cache.key}); later runs start from it`);
      } catch (err) {
        log.system(`Helios: cache-after-prepare: the snapshot after prepare failed (${what(err)}); later runs prepare again`);
      }
    };
    return new PreparedStart(plan, null, keep, cache.prepareStep);
  }

  /**
   * A top-level step ended: after a successful prepare, keep the machine's disk (once). The promise
   * delays the ack of that step's end, which the agent waits for before the next step (`pauseAfterStep`).
   */
  stepFinished(step: string, conclusion: string): Promise<void> | undefined {
    if (!this.keep || step !== this.prepareStep || conclusion !== 'success' || this.keeping) return undefined;
    this.keeping = this.keep();
    return this.keeping;
  }

  /** The step the agent pauses after (until the snapshot is taken): the prepare step on a miss. */
  get pauseAfterStep(): string | null {
    return this.keep ? this.prepareStep : null;
  }

  /** Resolves once a snapshot in progress has been taken (or failed); never rejects. */
  settled(): Promise<void> {
    return this.keeping ?? Promise.resolve();
  }
}
