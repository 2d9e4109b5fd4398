import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventLoopLagSampler } from '../../src/http/metrics/eventLoopLag.js';

/** Holds the loop until this process used `ms` of CPU (not wall time: the host may be busy). */
function spinCpu(ms: number): void {
  const start = process.cpuUsage();
  for (;;) {
    const d = process.cpuUsage(start);
    if ((d.user + d.system) / 1000 >= ms) return;
  }
}

test('a loop held by the process itself shows as lag, and as its own lag', async () => {
  const samples: { late: number; own: number }[] = [];
  const sampler = new EventLoopLagSampler((late, own) => samples.push({ late, own }), 20);
  await new Promise((r) => setTimeout(r, 30));
  spinCpu(150);
  await new Promise((r) => setTimeout(r, 60));
  sampler.close();
  const worst = samples.reduce((a, b) => (b.late > a.late ? b : a));
  assert.ok(worst.late >= 0.12, `late ${worst.late}`);
  assert.ok(worst.own >= 0.12 && worst.own <= worst.late, `own ${worst.own} of ${worst.late}`);
  const n = samples.length;
  await new Promise((r) => setTimeout(r, 50));
  assert.is(samples.length, n, 'nothing after close');
});

test.run();
