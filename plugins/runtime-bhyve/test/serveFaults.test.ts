// Every simulator fault through `helios serve`: guest-no-agent and slow-install end the job errored
// with the reason (E_BHYVE_BOOT_TIMEOUT: bootTimeoutSeconds is enforced up to the agent's Hello) and
// the guest's logs in the job log; destroy-busy that outlasts the storage's retries leaves the clone,
// says E_BHYVE_TEARDOWN_INCOMPLETE in the job log and counts it on /metrics, and the reconciler at
// the next start destroys the clone once the fault has passed. Each case leaves nothing behind.
// (boot-fail: serveEndToEnd.test.ts.)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '@helios-ci/sdk/testkit';
import { final, nothingLeft, World } from './serveWorld.js';
import { LABEL, requireComponent, simMissing, withSimHost } from './simWorld.js';

const t = requireComponent(test, simMissing());
const workflow = (name: string) => `on: push\njobs:\n  ${name}:\n    runs-on: ${LABEL}\n    steps:\n      - run: echo ${name}-ran\n`;

t('guest-no-agent and slow-install: the job is errored by bootTimeoutSeconds with the reason and the guest logs; nothing left', () =>
  withSimHost(async (h) => {
    const w = new World(h, { bhyve: { bootTimeoutSeconds: 30 } });
    try {
      await h.sim('control', 'fault', 'add', 'guest-no-agent', '--count', '1');
      w.repo.write('.github/workflows/ci.yml', workflow('noagent'));
      w.start();
      assert.is((await w.push(w.repo.commit())).status, 202);
      const noAgent = await waitFor('the no-agent job to end', () => w.jobs().find((j) => j.name === 'noagent' && final(j.state)), 120_000);
      const noAgentLog = w.log(noAgent.id).map((l) => l.text).join('\n');
      assert.is(noAgent.state, 'errored', noAgentLog);
      assert.match(noAgent.reason ?? '', 'E_BHYVE_BOOT_TIMEOUT');
      assert.match(noAgent.reason ?? '', 'did not say Hello within bootTimeoutSeconds (30 s)', `${noAgent.reason}\n${noAgentLog}`);
      assert.match(noAgentLog, /zone\.log ---\n[^]*running/);
      assert.match(noAgentLog, /console \(last lines\) ---\n[^]*No datasource found/);
      assert.not.match(noAgentLog, 'noagent-ran');
      await nothingLeft(h);

      // An install slower than the whole boot budget: zoneadm install is stopped at the deadline.
      await h.sim('control', 'fault', 'add', 'slow-install', '--seconds', '120', '--count', '1');
      w.repo.write('.github/workflows/ci.yml', workflow('slowinstall'));
      assert.is((await w.push(w.repo.commit())).status, 202);
      const slow = await waitFor('the slow-install job to end', () => w.jobs().find((j) => j.name === 'slowinstall' && final(j.state)), 120_000);
      const slowLog = w.log(slow.id).map((l) => l.text).join('\n');
      assert.is(slow.state, 'errored', slowLog);
      assert.match(slow.reason ?? '', 'E_BHYVE_BOOT_TIMEOUT');
      assert.match(slowLog, 'zoneadm install did not finish within bootTimeoutSeconds (30 s)');
      await nothingLeft(h);
    } finally {
      await w.cleanup();
    }
  }),
);

t('destroy-busy past the retries: E_BHYVE_TEARDOWN_INCOMPLETE in the log and on /metrics; the restart reconciles it away', () =>
  withSimHost(async (h) => {
    // storage-zfs tries a busy destroy 1 + busyRetries times; the fault answers "busy" 7 times:
    // all 5 attempts of the job's teardown, then 2 of the reconciler's.
    const w = new World(h, { zfs: { busyRetries: 4 } });
    try {
      // Armed once the job runs (provisioning clears an earlier clone with a destroy too). The
      // simulated guest shares the host's files, so a gate file holds the step until then.
      const gate = join(w.dir, 'armed');
      w.repo.write('.github/workflows/ci.yml', `on: push\njobs:\n  busy:\n    runs-on: ${LABEL}\n    steps:\n      - run: while [ ! -f ${gate} ]; do sleep 0.2; done; echo busy-ran\n`);
      w.start();
      assert.is((await w.push(w.repo.commit())).status, 202);
      await waitFor('the job to run', () => w.jobs().find((j) => j.name === 'busy' && j.state === 'running'), 120_000);
      await h.sim('control', 'fault', 'add', 'destroy-busy', '--count', '7', '--match', `${h.pool.parent}/jobs/`);
      writeFileSync(gate, '');
      const job = await waitFor('the job to end', () => w.jobs().find((j) => j.name === 'busy' && final(j.state)), 120_000);
      // The work was done: a failed teardown does not change the job's result (the core's rule).
      assert.is(job.state, 'succeeded', job.reason ?? '');
      const log = await waitFor('the teardown failure in the job log', () => {
        const text = w.log(job.id).map((l) => l.text).join('\n');
        return text.includes('E_BHYVE_TEARDOWN_INCOMPLETE') && text;
      }, 60_000);
      assert.match(log, /these remain: clone jobs\/[^\s]+ \(releasing jobs\/[^\s]+: .*dataset is busy/);
      assert.match(await w.metrics(), /^helios_machine_teardown_incomplete_total\{runtime="bhyve"\} 1$/m);
      const left = await h.leftovers();
      assert.equal(left.map((l) => l.split(' ')[0]), ['dataset'], `only the clone remains: ${left.join(', ')}`);
      assert.match((await h.sim('control', 'fault', 'list')).stdout, /destroy-busy/);

      await w.serve!.stop();
      w.start();
      await w.serve!.url;
      await nothingLeft(h, 60_000);
      assert.not.match((await h.sim('control', 'fault', 'list')).stdout, /destroy-busy/, 'the reconciler used up the fault');
      assert.match(await w.metrics(), /^helios_machine_teardown_incomplete_total\{runtime="bhyve"\} 0$|^# TYPE helios_machine_teardown_incomplete_total counter$/m);
    } finally {
      await w.cleanup();
    }
  }),
);

test.run();
