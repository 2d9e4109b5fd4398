// The job page and the job API show a job's environment and its url: evaluated when the run is
// planned (matrix, inputs, github values), linked only when it is http(s); a url that reads values of
// the running job (steps) is shown as written, saying why it has no value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { plan, DEFAULT_LABELS } from '../../src/workflow/index.js';
import { viewJobRecord } from '../../src/orchestrator/runView.js';
import { jobPage } from '../../src/http/ui/jobPage.js';
import { jobPlan, openTempStore, REPO, runPlan } from '../helpers/storeFixtures.js';

const WORKFLOW = `on: push
jobs:
  deploy:
    strategy:
      matrix:
        region: [eu]
    environment:
      name: production-\${{ matrix.region }}
      url: https://\${{ matrix.region }}.example.test/\${{ github.ref_name }}
    runs-on: local
    steps: [{ run: ./deploy }]
  preview:
    environment:
      name: preview
      url: \${{ steps.deploy.outputs.url }}
    runs-on: local
    steps: [{ id: deploy, run: ./deploy }]
  odd:
    environment: { name: odd, url: "javascript:alert(1)" }
    runs-on: local
    steps: [{ run: ./deploy }]
`;

const page = (job: NonNullable<ReturnType<typeof viewJobRecord>>) => String(jobPage({ job, runId: 'r1', lines: [], next: 0, lastSeq: 0, live: false }));
const line = (html: string) => /<p class="meta" id="environment">(.*?)<\/p>/s.exec(html)?.[1] ?? '';

test('environment url: evaluated at plan time and linked; a url reading steps says why it has no value; others not linked', async () => {
  const planned = await plan({ files: [{ path: '.github/workflows/deploy.yml', content: WORKFLOW }], event: { name: 'push', ref: 'refs/heads/main' }, labels: DEFAULT_LABELS, readFile: async () => null });
  assert.equal(planned.problems, []);
  const { store, cleanup } = openTempStore();
  try {
    const { jobs } = store.runs.create({ repo: REPO, sha: 'abc123', ref: 'refs/heads/main', event: 'push', trusted: true, plan: runPlan([...planned.jobs, jobPlan('plain')]) });
    const [deploy, preview, odd, plain] = jobs.map((j) => viewJobRecord(store, j.id)!);
    assert.equal(deploy!.environment, { name: 'production-eu', url: 'https://eu.example.test/main', urlWritten: null });
    assert.match(line(page(deploy!)), '<span>environment: production-eu</span><a id="environment-url" href="https://eu.example.test/main" rel="noopener">https://eu.example.test/main</a>');
    assert.equal(preview!.environment, { name: 'preview', url: null, urlWritten: '${{ steps.deploy.outputs.url }}' });
    assert.match(line(page(preview!)), 'reads values of the running job');
    assert.equal(odd!.environment, { name: 'odd', url: 'javascript:alert(1)', urlWritten: null });
    assert.not.match(line(page(odd!)), '<a ');
    assert.is(plain!.environment, undefined);
    assert.not.match(page(plain!), 'id="environment"');
  } finally {
    cleanup();
  }
});

test.run();
