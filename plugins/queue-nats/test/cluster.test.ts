// Control + two workers (+ one serving another label) as processes on loopback, over a real
// nats-server: jobs spread over the workers within their capacities and the cluster cap; a worker
// without a job's label never receives it.
import { existsSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);

function matrixWorkflow(n: number, label: string, seconds: number): string {
  const ids = Array.from({ length: n }, (_, i) => i).join(', ');
  return `on: push\njobs:\n  work:\n    runs-on: ${label}\n    strategy:\n      max-parallel: ${n}\n      matrix:\n        i: [${ids}]\n    steps:\n      - run: sleep ${seconds} && echo ran-$\{{ matrix.i }}\n  other:\n    runs-on: other\n    steps:\n      - run: echo other-ran\n      - run: curl -sS -o /dev/null -w 'egress-%{http_code}\\n' http://127.0.0.2:9/\n`;
}

t('40 jobs spread over two workers, neither over its capacity, the cluster cap respected; the other label only on its worker', async () => {
  const w = await ClusterWorld.create({ labels: ['remote', 'other'], clusterJobCap: 4, concurrentJobs: 20 }, [
    { id: 'wa', capacity: 3, labels: ['remote'] },
    { id: 'wb', capacity: 2, labels: ['remote'] },
    { id: 'wc', capacity: 1, labels: ['other'] },
  ]);
  try {
    await Promise.all(w.workers.map((x) => x.start()));
    w.repo.write('.github/workflows/ci.yml', matrixWorkflow(40, 'remote', 0.2));
    const sha = w.repo.commit();
    w.startControl();
    assert.is((await w.push(sha)).status, 202);
    const jobs = await w.waitJobs('41 jobs to finish', 41, 240_000);
    for (const j of jobs) assert.is(j.state, 'succeeded', `${j.name}: ${j.reason}\n${w.logText(j.id)}`);
    const other = jobs.find((j) => j.name === 'other')!;
    assert.match(w.logText(other.id), 'other-ran');
    // Jobs on workers use control's egress proxy (the claim reply carries it) with a live credential:
    // a 403 from its address check, not 407 (credential) or 000 (no proxy reached).
    assert.match(w.logText(other.id), 'egress-403');
    assert.match(w.logText(other.id), /egress \| GET 127\.0\.0\.2:9 refused: 127\.0\.0\.2 is in 127\.0\.0\.0\/8 \(loopback\)/);
    const byWorker: Record<string, number> = {};
    for (const j of jobs) {
      const p = w.provisioned(j.id);
      assert.is(p.length, 1, `job ${j.name} provisioned ${p.length} times`);
      byWorker[p[0]!.worker] = (byWorker[p[0]!.worker] ?? 0) + 1;
    }
    assert.is(w.provisioned(other.id)[0]!.worker, 'wc');
    assert.is(byWorker.wc, 1, 'the worker serving only "other" received a "remote" job');
    assert.ok((byWorker.wa ?? 0) > 0 && (byWorker.wb ?? 0) > 0, `jobs not spread: ${JSON.stringify(byWorker)}`);
    assert.is((byWorker.wa ?? 0) + (byWorker.wb ?? 0), 40);
    assert.ok(w.workers.some((x) => existsSync(x.machinesDir)), 'the workers made their machines where the test looks');
    await waitFor('every machine destroyed', () => w.workers.every((x) => x.machines().length === 0), 30_000);
    const peaks = w.peaks(['wa', 'wb']);
    assert.ok(peaks.perWorker.wa! <= 3, `wa ran ${peaks.perWorker.wa} at once (capacity 3)`);
    assert.ok(peaks.perWorker.wb! <= 2, `wb ran ${peaks.perWorker.wb} at once (capacity 2)`);
    // The two workers could hold 5 together; the "remote" durable's max_ack_pending (4) holds them to 4.
    assert.ok(peaks.total <= 4, `${peaks.total} "remote" machines at once over the cluster (cap 4)`);
    assert.is(peaks.total, 4, `the cluster cap was never reached: ${JSON.stringify(peaks)}`);
  } finally {
    await w.cleanup();
  }
});

t.run();
