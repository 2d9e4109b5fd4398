// The sdk's Runtime conformance suite on the illumos simulator: real zonecfg/zoneadm/dladm grammar
// and state machine, real ZFS clones (zfs-fuse), a booted "VM" running the real bootstrap and agent
// against a real agent service.
import { mkdtempSync } from 'node:fs';
import { suite } from 'uvu';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentService, type JobSink } from '@helios-ci/core';
import { PLAN_VERSION, type JobSpec, type MachineRef, type MachineSpec, type Runtime } from '@helios-ci/sdk';
import { runtimeConformance } from '@helios-ci/sdk/testkit';
import { BhyveRuntime } from '../src/bhyveRuntime.js';
import { execRunner } from '../src/commands.js';
import { machineNames } from '../src/names.js';
import { LABEL, requireComponent, simMissing, withSimHost, type SimHost } from './simWorld.js';

const service = new AgentService({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 10_000 });
const { endpoint } = await service.start();
const repoDir = mkdtempSync(join(tmpdir(), 'bhyve-conf-repo-'));

function jobSpec(jobId: string): JobSpec {
  return {
    planVersion: PLAN_VERSION,
    runId: 'r1',
    jobId,
    job: {
      id: jobId, workflow: { file: 'ci.yml', name: 'CI' }, jobKey: 'build', name: 'build', matrix: null, needs: [], if: null, runsOn: [LABEL], env: {},
      defaults: { shell: null, workingDirectory: null }, timeoutMinutes: 10, continueOnError: false, concurrency: null, strategy: { failFast: true, maxParallel: null },
      outputs: {}, secretNames: [],
      steps: [{ id: 'main', name: 'main', if: null, env: {}, continueOnError: false, timeoutMinutes: null, kind: 'run', run: 'sleep 300', shell: null, workingDirectory: null }],
    },
    repository: { fullName: 'acme/widget', cloneUrl: `file://${repoDir}`, sha: '0'.repeat(40), ref: 'refs/heads/main' },
    github: {}, needs: {}, inputs: {}, vars: {}, secrets: {},
  };
}

/** Connected = the agent said Hello (its first event, or the job failing its checkout, both count). */
class Sink implements JobSink {
  connected!: () => void;
  readonly connectedP = new Promise<void>((r) => (this.connected = r));
  onConnected() {
    this.connected();
  }
  onStepStarted() {}
  onLog() {}
  onStepFinished() {}
  onAnnotation() {}
  onFinished() {}
  onLost() {}
}

const missing = simMissing();

// One simulated host for the whole suite (a pool per case would dominate the run time).
let release: (() => void) | null = null;
let hostDone: Promise<unknown> | null = null;
let hostReady: Promise<SimHost> | null = null;

function simHost(): Promise<SimHost> {
  hostReady ??= new Promise<SimHost>((resolveHost, rejectHost) => {
    hostDone = withSimHost((h) => {
      resolveHost(h);
      return new Promise<void>((done) => (release = done));
    }).catch(rejectHost);
  });
  return hostReady;
}

const open = (h: SimHost): BhyveRuntime => new BhyveRuntime({ id: 'bhyve', config: h.config, storage: h.storage, run: execRunner, stateDir: h.stateDir });

const suiteOnSim = runtimeConformance('runtime-bhyve (illumos simulator)', async () => {
  const h = await simHost();
  const runtime: Runtime = open(h);
  return {
    subject: {
      runtime,
      harness: {
        label: LABEL,
        async newAgentJob(jobId) {
          const sink = new Sink();
          const handle = service.registerJob(jobSpec(jobId), sink);
          return { endpoint, token: handle.token, connected: sink.connectedP };
        },
        reopen: async () => open(h),
        async halfProvision(_r, spec: MachineSpec): Promise<MachineRef> {
          // What a crash between the clone, the VNIC and zonecfg leaves: no boot, no machine record.
          const { zone, vnic } = machineNames(h.config.namePrefix, spec.jobId);
          await h.storage.cloneImage('omnios', spec.jobId);
          await h.sim('dladm', 'create-vnic', '-t', '-l', 'helios0', vnic);
          const file = join(h.root, `${zone}.zcfg`);
          (await import('node:fs')).writeFileSync(file, `create -b\nset brand=bhyve\nset zonepath=${join(h.config.zonepathRoot, zone)}\nset ip-type=exclusive\nadd net\nset physical=${vnic}\nend\ncommit\n`);
          const r = await h.sim('zonecfg', '-z', zone, '-f', file);
          if (r.code !== 0) throw new Error(r.stderr);
          return { id: zone, jobId: spec.jobId };
        },
        async isGone(ref) {
          const left = await h.leftovers();
          const jobId = ref.jobId ?? ref.id.slice(h.config.namePrefix.length + 1);
          return !left.some((l) => l.includes(ref.id) || l.includes(`/jobs/${jobId}-`));
        },
      },
    },
    cleanup: async () => {
      for (const m of await runtime.list()) await runtime.destroy(m);
    },
  };
});
suiteOnSim.after(async () => {
  release?.();
  await hostDone;
  await service.stop();
});
if (missing) {
  const unavailable = suite('runtime-bhyve (illumos simulator)');
  requireComponent(unavailable, missing)('conformance on the simulator', () => undefined);
  unavailable.run();
} else {
  suiteOnSim.run();
}
