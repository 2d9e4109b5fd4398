// PreparedStart's decisions for vmactions cache-after-prepare, with a recording runtime (the real
// ZFS path: runtime-bhyve's vmactionsPrepared.test.ts): a hit disables the prepare step and names the
// snapshot; a miss keeps the machine once, only after a successful prepare; a runtime without
// prepared snapshots or a failing lookup runs prepare and says why.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobPlan, Runtime } from '@helios-ci/sdk';
import { PreparedStart } from '../../src/orchestrator/preparedStart.js';
import { vmactionsMachineSize } from '../../src/workflow/index.js';
import { jobPlan, runStep } from '../helpers/storeFixtures.js';

const KEY = 'e0380718e30e398d45e67b7d600422ae';
const plan: JobPlan = {
  ...jobPlan('omnios', []),
  steps: [{ ...runStep('vm: prepare'), id: '__1_prepare' }, { ...runStep('vm: run'), id: '__1' }],
  vmactions: { uses: 'vmactions/omnios-vm@v1', os: 'omnios', release: 'r151054', matched: 'r151054', label: 'omnios-r151054', shell: 'omnios', size: {}, notes: [], cacheAfterPrepare: { key: KEY, prepareStep: '__1_prepare' } },
};

function runtime(has: boolean | Error, withPrepared = true) {
  const calls: string[] = [];
  const r = {
    id: 'rt',
    labels: ['omnios-r151054'],
    ...(withPrepared && {
      prepared: {
        has: async (label: string, name: string) => {
          calls.push(`has ${label} ${name}`);
          if (has instanceof Error) throw has;
          return has;
        },
        keep: async (jobId: string, name: string) => {
          calls.push(`keep ${jobId} ${name}`);
        },
      },
    }),
  } as unknown as Runtime;
  return { r, calls };
}

const logger = () => {
  const lines: string[] = [];
  return { lines, system: (t: string) => lines.push(t) };
};

test('a hit starts from the snapshot and disables the prepare step; nothing is kept', async () => {
  const { r, calls } = runtime(true);
  const log = logger();
  const p = await PreparedStart.open(r, 'omnios-r151054', 'j1', plan, log);
  assert.is(p.prepared, KEY);
  assert.equal(p.plan.steps.map((s) => [s.id, s.if]), [['__1_prepare', 'false'], ['__1', null]]);
  assert.is(plan.steps[0]!.if, null, 'the stored plan is not changed');
  assert.is(p.stepFinished('__1_prepare', 'success'), undefined);
  assert.is(p.pauseAfterStep, null, 'the agent does not pause on a hit');
  await p.settled();
  assert.equal(calls, [`has omnios-r151054 ${KEY}`]);
  assert.match(log.lines.join('\n'), 'starting from the snapshot taken after prepare');
});

test('a miss keeps the machine once, after the prepare step succeeds (not after another step or a failure)', async () => {
  const { r, calls } = runtime(false);
  const log = logger();
  const p = await PreparedStart.open(r, 'omnios-r151054', 'j1', plan, log);
  assert.is(p.prepared, null);
  assert.is(p.plan, plan);
  assert.is(p.pauseAfterStep, '__1_prepare', 'the agent pauses after prepare until the snapshot is taken');
  assert.is(p.stepFinished('__1_prepare', 'failure'), undefined);
  assert.is(p.stepFinished('__1', 'success'), undefined);
  assert.equal(calls.slice(1), []);
  const keeping = p.stepFinished('__1_prepare', 'success');
  assert.ok(keeping instanceof Promise, 'the ack of the step waits for it');
  assert.is(p.stepFinished('__1_prepare', 'success'), undefined);
  await keeping;
  assert.equal(calls.slice(1), [`keep j1 ${KEY}`]);
  assert.match(log.lines.join('\n'), 'snapshotted the machine after prepare');
});

test('no prepared snapshots in the runtime, or a failing lookup: prepare runs, and the log says why', async () => {
  const none = logger();
  const p1 = await PreparedStart.open(runtime(false, false).r, 'omnios-r151054', 'j1', plan, none);
  assert.is(p1.prepared, null);
  assert.match(none.lines.join('\n'), 'runtime rt keeps no prepared snapshots; prepare runs in every job');
  const failing = logger();
  const p2 = await PreparedStart.open(runtime(new Error('zfs gone')).r, 'omnios-r151054', 'j1', plan, failing);
  assert.is(p2.prepared, null);
  assert.match(failing.lines.join('\n'), 'could not look up the prepared snapshot (zfs gone); running prepare');
  const plain = await PreparedStart.open(runtime(true).r, 'omnios-r151054', 'j1', { ...plan, vmactions: undefined } as unknown as JobPlan, logger());
  assert.is(plain.prepared, null, 'a job without cache-after-prepare never asks');
});

test('mem/cpu make the machine smaller, never larger than the label', () => {
  const label = { cpus: 2, memoryMb: 1024 };
  const vm = (size: { cpus?: number; memoryMb?: number }) => ({ vmactions: { ...plan.vmactions!, size } });
  assert.equal(vmactionsMachineSize(label, vm({ memoryMb: 8192, cpus: 1 })).size, { cpus: 1, memoryMb: 1024 });
  assert.equal(vmactionsMachineSize(label, vm({ memoryMb: 512 })).size, { cpus: 2, memoryMb: 512 });
  assert.equal(vmactionsMachineSize(label, vm({})), { size: label, note: null });
  assert.match(vmactionsMachineSize(label, vm({ memoryMb: 8192 })).note!, 'mem 8192 MB → 1024 MB');
});

test.run();
