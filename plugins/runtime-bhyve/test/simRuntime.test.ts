// runtime-bhyve on the illumos simulator: the console of a real boot, each simulator fault ends in a
// clear error (or a converging teardown) and leaves no zone, VNIC or clone behind.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import { waitFor } from '@helios-ci/sdk/testkit';
import * as assert from 'uvu/assert';
import { isHeliosError, type MachineSpec } from '@helios-ci/sdk';
import { BhyveRuntime } from '../src/bhyveRuntime.js';
import { execRunner } from '../src/commands.js';
import { LABEL, requireComponent, simMissing, withSimHost, type SimHost } from './simWorld.js';

const missing = simMissing();
const t = requireComponent(test, missing);

const open = (h: SimHost) => new BhyveRuntime({ id: 'bhyve', config: h.config, storage: h.storage, run: execRunner, stateDir: h.stateDir });
const spec = (jobId: string, extra: Partial<MachineSpec> = {}): MachineSpec => ({ jobId, label: LABEL, cpus: 1, memoryMb: 1024, volumes: [], agent: { endpoint: '127.0.0.1:9', token: 'tok-sim' }, ...extra });

async function consoleUntil(rt: BhyveRuntime, id: string, needle: string): Promise<string[]> {
  const seen: string[] = [];
  for await (const line of rt.console({ id, jobId: null })) {
    seen.push(line);
    if (line.includes(needle)) return seen;
  }
  throw new Error(`console ended before "${needle}": ${seen.join(' | ')}`);
}

t('a booted zone runs the bootstrap: its console shows cloud-init and the agent starting; milestones in order; teardown leaves nothing', () =>
  withSimHost(async (h) => {
    const rt = open(h);
    const milestones: string[] = [];
    const m = await rt.provision(spec('job-a1', { onMilestone: (x) => milestones.push(x) }));
    const lines = await consoleUntil(rt, m.id, 'helios: starting the agent');
    assert.ok(lines.some((l) => l.includes('Cloud-init')), lines.join('\n'));
    assert.equal(milestones, ['booted', 'console']);
    assert.not.ok(lines.join('\n').includes('tok-sim'), 'the token is not echoed on the console');
    await rt.destroy(m);
    await rt.destroy(m);
    assert.equal(await h.leftovers(), []);
    assert.equal(await rt.list(), []);
  }),
);

t('boot-fail: the error carries zone.log and init.log, nothing is left', () =>
  withSimHost(async (h) => {
    await h.sim('control', 'fault', 'add', 'boot-fail', '--count', '1');
    const rt = open(h);
    try {
      await rt.provision(spec('job-bf'));
      assert.unreachable('booted despite the fault');
    } catch (err) {
      assert.ok(isHeliosError(err) && String(err.code) === 'E_BHYVE_BOOT_FAILED', String(err));
      assert.match((err as Error).message, /zone\.log ---\n.*boot failed/s);
      assert.match((err as Error).message, /failed to allocate guest memory/);
    }
    assert.equal(await h.leftovers(), []);
    assert.equal(await rt.list(), []);
  }),
);

t('guest-no-agent: the zone runs but cloud-init finds no datasource; the console says so; destroy leaves nothing', () =>
  withSimHost(async (h) => {
    await h.sim('control', 'fault', 'add', 'guest-no-agent', '--count', '1');
    const rt = open(h);
    const m = await rt.provision(spec('job-na'));
    await consoleUntil(rt, m.id, 'No datasource found');
    await rt.destroy(m);
    assert.equal(await h.leftovers(), []);
  }),
);

t('slow-install and a busy dataset at destroy: provision waits, teardown retries and converges', () =>
  withSimHost(async (h) => {
    await h.sim('control', 'fault', 'add', 'slow-install', '--seconds', '1', '--count', '1');
    await h.sim('control', 'fault', 'add', 'destroy-busy', '--count', '2');
    const rt = open(h);
    const m = await rt.provision(spec('job-sl'));
    await rt.destroy(m);
    assert.equal(await h.leftovers(), []);
  }),
);

t('after a crash (a new runtime over the same host), list() finds the zone, VNIC and clone, and destroy removes them', () =>
  withSimHost(async (h) => {
    const first = open(h);
    const m = await first.provision(spec('job-crash'));
    const { rmSync } = await import('node:fs');
    rmSync(h.stateDir, { recursive: true, force: true });
    const second = open(h);
    assert.equal((await second.list()).map((r) => r.id), [m.id]);
    for (const r of await second.list()) await second.destroy(r);
    assert.equal(await h.leftovers(), []);
  }),
);

t('egress: the zone gets rules for the agent endpoint and the egress proxy only; the guest agent gets egressProxy and reaches the endpoint through them', () =>
  withSimHost(async (h) => {
    let agentConnections = 0;
    const endpoint = createServer((s) => {
      agentConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', () => r()));
    const port = (endpoint.address() as { port: number }).port;
    try {
      const rt = open(h);
      const m = await rt.provision(spec('job-eg', { agent: { endpoint: `127.0.0.1:${port}`, token: 'tok-sim' }, egress: { proxy: '127.0.0.1:3128' } }));
      const rules = readFileSync(join(h.config.zonepathRoot, m.id, 'etc', 'ipf.conf'), 'utf8');
      assert.equal(rules.split('\n').filter((l) => l.startsWith('pass') || l.startsWith('block')), [
        'block in all',
        'block out all',
        `pass out quick proto tcp from any to 127.0.0.1/32 port = ${port} flags S keep state`,
        'pass out quick proto tcp from any to 127.0.0.1/32 port = 3128 flags S keep state',
      ]);
      assert.match(readFileSync(join(h.stateDir, 'user-data', m.id), 'utf8'), '"egressProxy":"127.0.0.1:3128"');
      await consoleUntil(rt, m.id, 'helios: starting the agent');
      await waitFor('the guest agent to reach its endpoint', () => agentConnections > 0);
      await rt.destroy(m);
      assert.equal(await h.leftovers(), []);
    } finally {
      endpoint.close();
    }
  }),
);

test.run();
