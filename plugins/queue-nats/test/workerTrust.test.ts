// MachineSpec.trusted travels in the claim reply: a trusted push's job on a worker (runtime-local)
// shares the worker's tool cache, which the runtime opens only to jobs the spec says are trusted.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TOOL_CACHE_DIR } from '@helios-ci/runtime-local';
import { ClusterWorld } from './clusterWorld.js';
import { natsTest } from './natsServer.js';

const t = natsTest(test);

t("a trusted run's job on a worker writes the worker's shared tool cache", async () => {
  const w = await ClusterWorld.create({ labels: ['remote'], clusterJobCap: 2, concurrentJobs: 2 }, [{ id: 'wa', capacity: 1, labels: ['remote'] }]);
  try {
    await w.worker('wa').start();
    w.repo.write('.github/workflows/ci.yml', 'on: push\njobs:\n  t:\n    runs-on: remote\n    steps:\n      - run: mkdir -p "$RUNNER_TOOL_CACHE/go/1.22" && echo "installed" > "$RUNNER_TOOL_CACHE/go/1.22/go" && echo "cache=$RUNNER_TOOL_CACHE"\n');
    const sha = w.repo.commit();
    w.startControl();
    assert.is((await w.push(sha)).status, 202);
    const [job] = await w.waitJobs('the job to finish', 1, 120_000);
    assert.is(job!.state, 'succeeded', w.logText(job!.id));
    const shared = join(w.worker('wa').machinesDir, TOOL_CACHE_DIR);
    assert.match(w.logText(job!.id), `cache=${shared}`);
    assert.ok(existsSync(join(shared, 'go/1.22/go')), w.logText(job!.id));
    assert.is(readFileSync(join(shared, 'go/1.22/go'), 'utf8'), 'installed\n');
  } finally {
    await w.cleanup();
  }
});

t.run();
