import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { isHeliosError } from '../errors.js';
import type { MachineRef, MachineSpec, Runtime } from '../interfaces/runtime.js';
import { conformanceSuite, type ConformanceCase, type Subject } from './conformance.js';

/**
 * What the Runtime suite needs besides the runtime: an agent endpoint to connect to (the plugin's
 * test wires up the real agent service from @helios-ci/core), a way to simulate a server crash,
 * and a way to leave a machine half-built.
 */
export interface RuntimeHarness {
  /** A runs-on label the runtime serves. */
  label: string;
  /**
   * Registers a job whose agent stays busy until destroyed (e.g. a step that sleeps). `connected`
   * resolves when an agent connected with the token.
   */
  newAgentJob(jobId: string): Promise<{ endpoint: string; token: string; connected: Promise<void> }>;
  /** A fresh runtime instance over the same persistent state, as after a crash and restart. */
  reopen(): Promise<Runtime>;
  /** Leaves a machine as a provision that died midway would (resources allocated, nothing running). */
  halfProvision(runtime: Runtime, spec: MachineSpec): Promise<MachineRef>;
  /** True when nothing of the machine is left (processes, disks, directories). */
  isGone(ref: MachineRef): Promise<boolean>;
}

export interface RuntimeSubject {
  runtime: Runtime;
  harness: RuntimeHarness;
}

const CONNECT_TIMEOUT_MS = 30_000;

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

let seq = 0;
async function specFor(h: RuntimeHarness): Promise<{ spec: MachineSpec; connected: Promise<void> }> {
  seq++;
  const jobId = `conformance-${process.pid}-${seq}`;
  const { endpoint, token, connected } = await h.newAgentJob(jobId);
  return { spec: { jobId, label: h.label, cpus: 1, memoryMb: 512, volumes: [], agent: { endpoint, token } }, connected };
}

const ids = async (r: Runtime): Promise<string[]> => (await r.list()).map((m) => m.id);

const cases: ConformanceCase<RuntimeSubject>[] = [
  {
    name: 'serves at least one label and refuses a label it does not serve',
    async run({ runtime, harness }) {
      assert.ok(runtime.labels.length > 0);
      assert.ok(runtime.labels.includes(harness.label));
      const { spec } = await specFor(harness);
      try {
        await runtime.provision({ ...spec, label: 'no-such-label-xyz' });
        assert.unreachable('an unserved label was provisioned');
      } catch (err) {
        assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
      }
    },
  },
  {
    name: 'states a machine size (whole CPUs ≥ 1, memory in MB ≥ 1) for every label it serves, and refuses others',
    async run({ runtime }) {
      for (const label of runtime.labels) {
        const size = runtime.machineSize(label);
        assert.ok(Number.isInteger(size.cpus) && size.cpus >= 1, `${label}: cpus ${size.cpus}`);
        assert.ok(Number.isInteger(size.memoryMb) && size.memoryMb >= 1, `${label}: memoryMb ${size.memoryMb}`);
      }
      try {
        runtime.machineSize('no-such-label-xyz');
        assert.unreachable('a size was stated for an unserved label');
      } catch (err) {
        assert.ok(isHeliosError(err), `expected a HeliosError, got ${String(err)}`);
      }
    },
  },
  {
    name: 'provision → the agent connects → destroy leaves nothing',
    async run({ runtime, harness }) {
      const { spec, connected } = await specFor(harness);
      const machine = await runtime.provision(spec);
      assert.is(machine.jobId, spec.jobId);
      assert.is(machine.label, spec.label);
      assert.ok((await ids(runtime)).includes(machine.id), 'list() does not show the new machine');
      await within(connected, CONNECT_TIMEOUT_MS, 'the agent connecting');
      await runtime.destroy(machine);
      assert.not.ok((await ids(runtime)).includes(machine.id), 'list() still shows the destroyed machine');
      assert.ok(await harness.isGone(machine), 'something of the machine survived destroy');
    },
  },
  {
    name: 'destroy twice is fine',
    async run({ runtime, harness }) {
      const { spec, connected } = await specFor(harness);
      const machine = await runtime.provision(spec);
      await within(connected, CONNECT_TIMEOUT_MS, 'the agent connecting');
      await runtime.destroy(machine);
      await runtime.destroy(machine);
      await runtime.destroy({ id: machine.id, jobId: null });
      assert.ok(await harness.isGone(machine));
    },
  },
  {
    name: 'destroy of a half-provisioned machine succeeds',
    async run({ runtime, harness }) {
      const { spec } = await specFor(harness);
      const ref = await harness.halfProvision(runtime, spec);
      assert.ok((await ids(runtime)).includes(ref.id), 'list() does not show the half-provisioned machine');
      await runtime.destroy(ref);
      assert.not.ok((await ids(runtime)).includes(ref.id));
      assert.ok(await harness.isGone(ref));
    },
  },
  {
    name: 'list after a crash finds the leftovers, and a new instance can destroy them',
    async run({ runtime, harness }) {
      const { spec, connected } = await specFor(harness);
      const machine = await runtime.provision(spec);
      await within(connected, CONNECT_TIMEOUT_MS, 'the agent connecting');
      const after = await harness.reopen();
      const found = (await after.list()).find((m) => m.id === machine.id);
      assert.ok(found, 'the restarted runtime does not list the machine left from before');
      assert.ok(found.jobId === null || found.jobId === spec.jobId);
      await after.destroy(found);
      assert.not.ok((await ids(after)).includes(machine.id));
      assert.ok(await harness.isGone(machine));
    },
  },
];

/** The Runtime conformance suite: `create()` returns a fresh runtime and its harness per case. */
export function runtimeConformance(name: string, create: () => Promise<Subject<RuntimeSubject>>): Test {
  return conformanceSuite(`Runtime conformance: ${name}`, create, cases);
}
