// The job page and the job API say what the vmactions shim mapped: the step's release onto a label,
// the custom shell, and the inputs it ignores (from the stored plan, through viewJobRecord).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { VmactionsMapping } from '@helios-ci/sdk';
import { viewJobRecord } from '../../src/orchestrator/runView.js';
import { jobPage } from '../../src/http/ui/jobPage.js';
import { jobPlan, openTempStore, REPO, runPlan } from '../helpers/storeFixtures.js';

const mapping: VmactionsMapping = {
  uses: 'vmactions/omnios-vm@v1',
  os: 'omnios',
  release: 'r15105',
  matched: 'r151056',
  label: 'omnios-r151056',
  shell: 'illumos',
  size: { memoryMb: 512 },
  notes: ['sync: ignored, the workspace is already in the machine of the job'],
};

test('a vmactions job shows its mapping on the job page and in its view; other jobs show none', () => {
  const { store, cleanup } = openTempStore();
  try {
    const plans = [{ ...jobPlan('omnios'), runsOn: ['omnios-r151056'], vmactions: mapping }, jobPlan('plain')];
    const { jobs } = store.runs.create({ repo: REPO, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan(plans) });
    const view = viewJobRecord(store, jobs[0]!.id)!;
    assert.equal(view.vmactions, mapping);
    const html = String(jobPage({ job: view, runId: 'r1', lines: [], next: 0, lastSeq: 0, live: false }));
    const line = /<p class="meta" id="vmactions">(.*?)<\/p>/s.exec(html)?.[1] ?? '';
    assert.match(line, 'vmactions/omnios-vm@v1: release r15105 → omnios-r151056 (vmactions.omnios.r151056)');
    assert.match(line, 'shell: illumos {0} → sh');
    assert.match(line, 'sync: ignored, the workspace is already in the machine of the job');
    const plain = viewJobRecord(store, jobs[1]!.id)!;
    assert.is(plain.vmactions, undefined);
    assert.not.match(String(jobPage({ job: plain, runId: 'r1', lines: [], next: 0, lastSeq: 0, live: false })), 'id="vmactions"');
  } finally {
    cleanup();
  }
});

test.run();
